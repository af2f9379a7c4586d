"""One transfer-proof file used for several deposits (issue 14): the upload records it, the
cashier sees the other deposits and verifies only after confirming; migration 0003 fills the
hash of proofs stored before from their files."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from test_savings_helpers import JPEG, PDF, PNG, Staff, add_member, dump, open_expand, staff

from dyncrm.app import open_crm
from dyncrm.db.models import ActionLog, Touchpoint
from dyncrm.testing import run_cli, snapshot
from dyncrm_expand import savings
from dyncrm_expand.savings.deposits import DuplicateProof, same_proof, same_proofs
from dyncrm_expand.savings.models import SavingsDeposit


@pytest.fixture
def crm(make_crm):
    return open_expand(make_crm)


@pytest.fixture
def people(crm):
    return Staff(crm)


def transfer(crm, who, member, reference, proof, amount="250.000", product="sukarela"):
    return savings.deposit(crm, who, member, product, amount, method="transfer",
                           reference=reference, proof=proof)


def touch_payloads(member_id: int, kind: str) -> list[dict]:
    return [t.payload for t in Touchpoint.select().where(Touchpoint.member == member_id,
                                                         Touchpoint.kind == kind)
            .order_by(Touchpoint.id)]


def test_one_file_for_three_deposits_is_recorded_and_each_verification_refused(crm, people):
    siti, budi = add_member(crm, "Siti Aminah"), add_member(crm, "Budi Santoso")
    first = transfer(crm, people.cashier, siti, "TRF-1", PNG)
    assert first.duplicate_proof_of == ()
    second = transfer(crm, people.cashier, budi, "TRF-2", PNG, amount="300.000")
    third = transfer(crm, people.cashier, siti, "TRF-3", PNG, product="wajib", amount="50.000")
    assert second.duplicate_proof_of == (first.id,)
    assert third.duplicate_proof_of == (first.id, second.id)
    assert touch_payloads(budi, "savings.deposit")[-1]["duplicate_proof_of"] == [first.id]
    assert "duplicate_proof_of" not in touch_payloads(siti, "savings.deposit")[0]

    uses = same_proof(crm, third.id)
    assert [u.deposit_id for u in uses] == [first.id, second.id]
    assert (uses[1].member, uses[1].product, uses[1].amount.amount, uses[1].reference,
            uses[1].status) == ("XYZ-0002 Budi Santoso", "sukarela", 300000, "TRF-2", "pending")
    assert same_proofs(crm, [first.id, second.id, third.id]) == {
        d: same_proof(crm, d) for d in (first.id, second.id, third.id)}

    # even the first of them waits for confirmation: its proof was used again since
    for deposit in (first, second, third):
        before = dump(crm)
        with pytest.raises(DuplicateProof) as refused:
            savings.verify_deposit(crm, people.cashier2, deposit.id)
        assert dump(crm) == before
        message = str(refused.value)
        assert message.startswith(f"proof: the proof of deposit #{deposit.id} is the same file "
                                  "as the proof of deposits #")
        for other in {first.id, second.id, third.id} - {deposit.id}:
            assert f"#{other} (" in message
        assert "check the bank statement" in message
    assert "#2 (XYZ-0002 Budi Santoso, sukarela Rp 300.000, ref TRF-2, " in str(refused.value)
    assert savings.balances(crm, siti)["sukarela"].amount == 0


def test_confirming_posts_it_and_records_who_confirmed(crm, people):
    siti, budi = add_member(crm, "Siti Aminah"), add_member(crm, "Budi Santoso")
    first = transfer(crm, people.cashier, siti, "TRF-1", JPEG)
    second = transfer(crm, people.cashier, budi, "TRF-2", JPEG)
    done = savings.verify_deposit(crm, people.cashier2, second.id, confirm_duplicate_proof=True)
    assert done.status == "posted" and not done.replayed
    assert savings.balances(crm, budi)["sukarela"].amount == 250000
    verified = touch_payloads(budi, "savings.deposit_verified")[-1]
    assert verified["duplicate_proof_of"] == [first.id]
    assert verified["duplicate_proof_confirmed_by"] == "kasir2"
    log = ActionLog.select().order_by(ActionLog.id.desc()).get()
    assert (log.action, log.actor) == ("savings.verify_duplicate_proof", "kasir2")
    # a repeat changes nothing; the other deposit still needs its own confirmation
    assert savings.verify_deposit(crm, people.cashier2, second.id).replayed
    with pytest.raises(DuplicateProof, match=f"#{second.id} "):
        savings.verify_deposit(crm, people.cashier2, first.id)


def test_a_different_file_verifies_as_before(crm, people):
    siti = add_member(crm, "Siti Aminah")
    a = transfer(crm, people.cashier, siti, "TRF-1", PNG)
    b = transfer(crm, people.cashier, siti, "TRF-2", PDF)
    c = transfer(crm, people.cashier, siti, "TRF-3", JPEG)
    assert a.duplicate_proof_of == b.duplicate_proof_of == c.duplicate_proof_of == ()
    for d in (a, b, c):
        assert savings.verify_deposit(crm, people.cashier2, d.id).status == "posted"
    assert ActionLog.select().where(ActionLog.action == "savings.verify").count() == 3
    verified = touch_payloads(siti, "savings.deposit_verified")
    assert all("duplicate_proof_of" not in p for p in verified)


def test_the_same_file_is_found_by_the_hash_as_stored_too(crm, people):
    """A proof stored before its upload's hash was kept is still found by its stored hash."""
    siti = add_member(crm, "Siti Aminah")
    old = transfer(crm, people.cashier, siti, "TRF-1", PNG)
    SavingsDeposit.update(proof_upload_sha256=None).where(SavingsDeposit.id == old.id).execute()
    # the same image with bytes appended: another upload, but re-encoded to the same file
    new = transfer(crm, people.cashier, siti, "TRF-2", PNG + b"\x00appended")
    assert new.duplicate_proof_of == (old.id,)
    row = SavingsDeposit.get_by_id(new.id)
    assert row.proof_upload_sha256 == hashlib.sha256(PNG + b"\x00appended").hexdigest()
    assert row.proof_sha256 == SavingsDeposit.get_by_id(old.id).proof_sha256
    # a rejected transfer's proof sent again is shown as well
    savings.reject_deposit(crm, people.cashier2, old.id, "jumlah tidak cocok")
    assert [(u.deposit_id, u.status) for u in same_proof(crm, new.id)] == [(old.id, "rejected")]


def test_a_cash_deposit_has_no_proof_to_compare(crm, people):
    siti = add_member(crm, "Siti Aminah")
    cash = savings.deposit(crm, people.cashier, siti, "sukarela", "10.000", method="cash",
                           reference="KW-1")
    assert cash.duplicate_proof_of == () and same_proof(crm, cash.id) == ()


# --- migration 0003 ------------------------------------------------------------------


def _back_to_0002(crm) -> None:
    """The database as it was before 0003: no upload hash, no indexes on the hashes."""
    import importlib

    from playhouse.migrate import SchemaMigrator

    module = importlib.import_module("dyncrm_expand.savings.migrations.0003_proof_content_hash")
    module.down(SchemaMigrator.from_database(crm.database), crm.database)
    crm.database.execute_sql("DELETE FROM dyncrm_schema_migration WHERE name = "
                             "'expand.savings:0003_proof_content_hash'")


def test_migration_0003_fills_the_hash_from_the_stored_files(crm, people):
    siti = add_member(crm, "Siti Aminah")
    ids = [transfer(crm, people.cashier, siti, f"TRF-{i}", proof).id
           for i, proof in enumerate((PNG, PDF, JPEG, PNG))]
    folder = Path(crm.config.data_dir) / "proofs"
    rows = {r.id: r for r in SavingsDeposit.select()}
    files = {i: folder / rows[i].proof_file for i in ids}
    _back_to_0002(crm)
    columns = {c.name for c in crm.database.get_columns("savings_deposit")}
    assert "proof_upload_sha256" not in columns
    files[ids[2]].unlink()  # a proof file lost: the hash recorded when it was stored serves
    SavingsDeposit.update(proof_sha256=None).where(SavingsDeposit.id == ids[3]).execute()
    files[ids[3]].write_bytes(b"changed on disk")  # what is there now is hashed

    assert crm.upgrade() == ["expand.savings:0003_proof_content_hash"]
    got = {r.id: r for r in SavingsDeposit.select()}
    assert got[ids[0]].proof_upload_sha256 == hashlib.sha256(
        files[ids[0]].read_bytes()).hexdigest() == got[ids[0]].proof_sha256
    assert got[ids[1]].proof_upload_sha256 == hashlib.sha256(PDF).hexdigest()  # byte for byte
    assert got[ids[2]].proof_upload_sha256 == rows[ids[2]].proof_sha256
    assert got[ids[3]].proof_upload_sha256 == hashlib.sha256(b"changed on disk").hexdigest()
    indexed = {tuple(i.columns) for i in crm.database.get_indexes("savings_deposit")}
    assert {("proof_upload_sha256",), ("proof_sha256",)} <= indexed
    # a proof stored before 0003 is found when the same file comes again
    again = transfer(crm, people.cashier, siti, "TRF-9", PDF)
    assert again.duplicate_proof_of == (ids[1],)
    assert crm.upgrade() == []


def test_migration_0003_without_the_deployment_uses_the_recorded_hashes(crm, people):
    from playhouse.migrate import SchemaMigrator

    siti = add_member(crm, "Siti Aminah")
    d = transfer(crm, people.cashier, siti, "TRF-1", PNG)
    _back_to_0002(crm)
    import importlib

    module = importlib.import_module("dyncrm_expand.savings.migrations.0003_proof_content_hash")
    module.up(SchemaMigrator.from_database(crm.database), crm.database)  # no deployment known
    row = SavingsDeposit.get_by_id(d.id)
    assert row.proof_upload_sha256 == row.proof_sha256


def test_migration_0003_on_a_fresh_database_adds_nothing_twice(make_crm):
    crm = open_expand(make_crm)
    names = [i.name for i in crm.database.get_indexes("savings_deposit")]
    assert len(names) == len(set(names))
    assert sum(1 for i in crm.database.get_indexes("savings_deposit")
               if tuple(i.columns) == ("proof_upload_sha256",)) == 1


# --- the command line ------------------------------------------------------------------


TOML = """
[organisation]
name = "Koperasi Uji"
currency = "IDR"
currency_exponent = 0
locale = "id_ID"
timezone = "Asia/Jakarta"

[database]
url = "sqlite:///crm.db"

[plugins]
enabled = ["expand.savings"]

[notify]
default_channel = "file"
file_directory = "outbox"
"""


def test_the_cashier_is_warned_on_the_command_line_and_confirms_with_a_flag(tmp_path):
    config = tmp_path / "dyncrm.toml"
    config.write_text(TOML, encoding="utf-8")
    assert run_cli(["-c", str(config), "db", "upgrade"])[0] == 0
    with open_crm(config) as crm:
        for name in ("kasir", "kasir2"):
            staff(crm, name, "cashier")
        staff(crm, "ketua", "admin")
        for number, name in (("XYZ-0001", "Siti Aminah"), ("XYZ-0002", "Budi Santoso")):
            add_member(crm, name, number=number, joined=dt.date.today() - dt.timedelta(days=40))
    proof = tmp_path / "bukti.jpg"
    proof.write_bytes(JPEG)

    def cli(*args, user="kasir"):
        return run_cli(["-c", str(config), "--as", user, "savings", *args])

    for number, ref in (("XYZ-0001", "TRF-1"), ("XYZ-0002", "TRF-2")):
        code, out, err = cli("deposit", number, "sukarela", "250000", "--method", "transfer",
                             "--ref", ref, "--proof", str(proof))
        assert code == 0, err
    assert "warning: the proof is the same file as the proof of deposit #1" in err
    code, out, _ = cli("pending", "--json")
    pending = json.loads(out)["data"]
    assert [(p["id"], p["same_proof_as"]) for p in pending] == [(1, "#2"), (2, "#1")]
    code, out, _ = cli("show", "2")
    assert "#1 (XYZ-0001 Siti Aminah, sukarela Rp 250.000, ref TRF-1" in out

    db = tmp_path / "crm.db"
    before = snapshot(db)
    code, out, err = cli("verify", "2", user="kasir2")
    assert code == 1 and "Traceback" not in err
    assert "the proof of deposit #2 is the same file as the proof of deposit #1 (XYZ-0001" in err
    assert "dyncrm savings verify 2 --confirm-duplicate-proof" in err
    assert snapshot(db) == before
    code, out, err = cli("verify", "2", "--confirm-duplicate-proof", user="kasir2")
    assert code == 0, err
    assert "verified deposit #2: Rp 250.000 posted" in out
    assert "recorded: kasir2 confirmed" in out
    code, out, err = run_cli(["-c", str(config), "--as", "ketua", "audit", "--action",
                              "savings.verify_duplicate_proof", "--json"])
    assert code == 0, err
    assert [(r["action"], r["by"], r["channel"]) for r in json.loads(out)["data"]] == [
        ("savings.verify_duplicate_proof", "kasir2", "cli")]


@pytest.mark.parametrize("server", [pytest.param("pg_url", marks=pytest.mark.postgres,
                                                 id="postgres"),
                                    pytest.param("mysql_url", marks=pytest.mark.mysql,
                                                 id="mysql")])
def test_migration_0003_and_the_check_on_database_servers(make_crm, request, server):
    from test_savings_helpers import EXPAND, TODAY, clock_at

    crm = make_crm(enabled=list(EXPAND), clock=clock_at(TODAY),
                   database_url=request.getfixturevalue(server))
    people = Staff(crm)
    siti, budi = add_member(crm, "Siti Aminah"), add_member(crm, "Budi Santoso")
    first = transfer(crm, people.cashier, siti, "TRF-1", PDF)
    _back_to_0002(crm)
    assert crm.upgrade() == ["expand.savings:0003_proof_content_hash"]
    assert SavingsDeposit.get_by_id(first.id).proof_upload_sha256 == hashlib.sha256(
        PDF).hexdigest()
    second = transfer(crm, people.cashier, budi, "TRF-2", PDF)
    assert second.duplicate_proof_of == (first.id,)
    before = dump(crm)
    with pytest.raises(DuplicateProof):
        savings.verify_deposit(crm, people.cashier2, second.id)
    assert dump(crm) == before
    assert savings.verify_deposit(crm, people.cashier2, second.id,
                                  confirm_duplicate_proof=True).status == "posted"

"""The savings pages: balances and statements, transfers with proofs, verification."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from portal import ROLES, USER_OF, member_login
from pypdf import PdfWriter

from dyncrm.testing import snapshot, web_client
from dyncrm.values import Actor
from dyncrm_expand import savings

PHP = b"<?php system($_GET['c']); ?>"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def key_of(page: str) -> str:
    return re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)


def send_transfer(client, amount="150000", data=None, name="bukti.png", product="sukarela"):
    key = key_of(client.get("/savings/deposit").get_data(as_text=True))
    form = {"product": product, "amount": amount, "note": "", "key": key}
    if data is not None:
        form["proof"] = (io.BytesIO(data), name)
    return client.post("/savings/deposit", form, content_type="multipart/form-data")


def pending_id(kop, member_id: int) -> int:
    return savings.pending_deposits(kop, member_id)[0].id


def test_member_sees_the_card_and_the_savings_page(kop):
    member_id, user = member_login(kop)
    savings.deposit(kop, Actor.operator(), member_id, "sukarela", "250000", method="cash",
                    reference="kas-1")
    client = web_client(kop, user)
    home = client.get("/").get_data(as_text=True)
    assert "Simpanan saya" in home and "Rp 250.000" in home
    page = client.get("/savings/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Rp 250.000" in text and "Rekening koran" in text
    year = kop.today().year
    assert client.get(f"/savings/?year={year}").status_code == 200
    assert client.get("/savings/?year=abc").status_code == 400


def test_statement_downloads(kop):
    member_id, user = member_login(kop)
    savings.deposit(kop, Actor.operator(), member_id, "sukarela", "250000", method="cash",
                    reference="kas-1")
    client = web_client(kop, user)
    csv = client.get("/savings/statement.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["Content-Disposition"]
    body = csv.get_data(as_text=True)
    assert body.splitlines()[0] == "product,date,entry,description,amount,balance"
    assert "250000" in body
    got = client.get(f"/savings/statement.pdf?year={kop.today().year}")
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    assert "attachment" in got.headers["Content-Disposition"]


@pytest.mark.parametrize("url", ["/savings/", "/savings/deposit", "/savings/statement.csv",
                                 "/savings/statement.pdf", "/savings/review/1",
                                 "/savings/review/1/proof"])
def test_anonymous_goes_to_sign_in(kop, url):
    response = web_client(kop).get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_staff_cannot_open_member_pages(kop):
    client = web_client(kop, "kasir")
    assert client.get("/savings/").status_code == 403
    assert client.get("/savings/deposit").status_code == 403


def _one_pending(kop):
    member_id, user = member_login(kop)
    client = web_client(kop, user)
    assert send_transfer(client, data=png()).status_code == 303
    return member_id, user, pending_id(kop, member_id)


@pytest.mark.parametrize("role", [*ROLES, "member"])
def test_review_permission_matrix(kop, role):
    _member_id, user, deposit_id = _one_pending(kop)
    allowed = role in {"cashier", "treasurer"}
    username = user if role == "member" else USER_OF[role]
    client = web_client(kop, username)
    for url in (f"/savings/review/{deposit_id}", f"/savings/review/{deposit_id}/proof"):
        assert client.get(url).status_code == (200 if allowed else 403)
    queue = client.get("/queue").get_data(as_text=True) if role != "member" else ""
    assert ("Bukti transfer untuk diverifikasi" in queue) == allowed
    before = snapshot(kop)
    status = client.post(f"/savings/review/{deposit_id}/verify").status_code
    if allowed:
        assert status == 303
    else:
        assert status == 403 and snapshot(kop) == before


def test_a_php_file_is_refused_and_nothing_is_written(kop):
    _member_id, user = member_login(kop)
    client = web_client(kop, user)
    client.get("/savings/deposit")
    proofs = kop.config.data_dir / "proofs"
    files_before = sorted(proofs.iterdir()) if proofs.exists() else []
    before = snapshot(kop)
    response = send_transfer(client, data=PHP, name="shell.php")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'id="e-proof"' in text and 'aria-invalid="true"' in text
    assert snapshot(kop) == before
    assert (sorted(proofs.iterdir()) if proofs.exists() else []) == files_before


@pytest.mark.parametrize("amount,field", [("", "amount"), ("-5", "amount"), ("abc", "amount")])
def test_bad_amounts_are_refused(kop, amount, field):
    _member_id, user = member_login(kop)
    client = web_client(kop, user)
    client.get("/savings/deposit")
    before = snapshot(kop)
    response = send_transfer(client, amount=amount, data=png())
    assert response.status_code == 400
    assert f'id="e-{field}"' in response.get_data(as_text=True)
    assert snapshot(kop) == before


def test_a_transfer_without_proof_is_refused(kop):
    _member_id, user = member_login(kop)
    client = web_client(kop, user)
    client.get("/savings/deposit")
    before = snapshot(kop)
    response = send_transfer(client, data=None)
    assert response.status_code == 400 and 'id="e-proof"' in response.get_data(as_text=True)
    assert snapshot(kop) == before


def test_a_double_submit_records_one_deposit(kop):
    member_id, user = member_login(kop)
    client = web_client(kop, user)
    key = key_of(client.get("/savings/deposit").get_data(as_text=True))
    for _ in range(2):
        form = {"product": "sukarela", "amount": "100000", "note": "", "key": key,
                "proof": (io.BytesIO(png()), "bukti.png")}
        assert client.post("/savings/deposit", form,
                           content_type="multipart/form-data").status_code == 303
    assert len(savings.pending_deposits(kop, member_id)) == 1


def test_member_isolation(kop):
    _a_id, a_user = member_login(kop, "Siti Aminah")
    b_id, b_user = member_login(kop, "Budi Santoso")
    savings.deposit(kop, Actor.operator(), b_id, "sukarela", "777000", method="cash",
                    reference="kas-b")
    b_client = web_client(kop, b_user)
    assert send_transfer(b_client, amount="333000", data=png()).status_code == 303
    b_deposit = pending_id(kop, b_id)
    a_client = web_client(kop, a_user)
    page = a_client.get("/savings/").get_data(as_text=True)
    assert "777.000" not in page and "333.000" not in page
    assert "777000" not in a_client.get("/savings/statement.csv").get_data(as_text=True)
    assert a_client.get(f"/savings/review/{b_deposit}").status_code == 403
    assert a_client.get(f"/savings/review/{b_deposit}/proof").status_code == 403


def test_member_deposits_cashier_verifies_balance_shown(kop):
    member_id, user = member_login(kop)
    member = web_client(kop, user)
    assert send_transfer(member, amount="150000", data=png()).status_code == 303
    page = member.get("/savings/").get_data(as_text=True)
    assert "Menunggu verifikasi" in page
    deposit_id = pending_id(kop, member_id)
    kasir = web_client(kop, "kasir")
    queue = kasir.get("/queue").get_data(as_text=True)
    assert f"/savings/review/{deposit_id}" in queue
    review = kasir.get(f"/savings/review/{deposit_id}").get_data(as_text=True)
    assert f"/savings/review/{deposit_id}/proof?inline=1" in review
    image = kasir.get(f"/savings/review/{deposit_id}/proof?inline=1")
    assert image.headers["Content-Disposition"] == "inline"
    assert image.headers["Content-Type"] == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert kasir.post(f"/savings/review/{deposit_id}/verify").status_code == 303
    page = member.get("/savings/").get_data(as_text=True)
    assert "Terverifikasi" in page and "Rp 150.000" in page
    assert savings.balance(kop, member_id, "sukarela").amount == 150000


def test_a_pdf_proof_is_only_a_download_and_reject_needs_a_reason(kop):
    member_id, user = member_login(kop)
    member = web_client(kop, user)
    assert send_transfer(member, data=pdf(), name="bukti.pdf").status_code == 303
    deposit_id = pending_id(kop, member_id)
    kasir = web_client(kop, "kasir")
    review = kasir.get(f"/savings/review/{deposit_id}").get_data(as_text=True)
    assert "inline=1" not in review
    got = kasir.get(f"/savings/review/{deposit_id}/proof?inline=1")
    assert got.headers["Content-Disposition"].startswith("attachment")
    before = snapshot(kop)
    empty = kasir.post(f"/savings/review/{deposit_id}/reject", {"reason": " "})
    assert empty.status_code == 400 and 'id="e-reason"' in empty.get_data(as_text=True)
    assert snapshot(kop) == before
    assert kasir.post(f"/savings/review/{deposit_id}/reject",
                      {"reason": "bukti tidak terbaca"}).status_code == 303
    page = member.get("/savings/").get_data(as_text=True)
    assert "Ditolak" in page and "bukti tidak terbaca" in page


def ask_withdrawal(client, amount="100000", method="cash"):
    key = key_of(client.get("/savings/withdraw").get_data(as_text=True))
    return client.post("/savings/withdraw", {"amount": amount, "method": method, "note": "",
                                             "key": key})


@pytest.mark.parametrize("role", [*ROLES, "member"])
def test_withdrawals_permission_matrix(kop, role):
    member_id, user = member_login(kop)
    savings.deposit(kop, Actor.operator(), member_id, "sukarela", "500000", method="cash",
                    reference="kas-1")
    assert ask_withdrawal(web_client(kop, user)).status_code == 303
    request_id = savings.withdrawal_requests(kop, member_id=member_id)[0][0].id
    allowed = role in {"cashier", "treasurer"}
    client = web_client(kop, user if role == "member" else USER_OF[role])
    assert client.get("/savings/withdrawals").status_code == (200 if allowed else 403)
    before = snapshot(kop)
    status = client.post(f"/savings/withdrawals/{request_id}/pay").status_code
    if allowed:
        assert status == 303
    else:
        assert status == 403 and snapshot(kop) == before


def test_member_asks_cashier_pays_balance_shown(kop):
    member_id, user = member_login(kop)
    savings.deposit(kop, Actor.operator(), member_id, "sukarela", "500000", method="cash",
                    reference="kas-1")
    member = web_client(kop, user)
    assert ask_withdrawal(member, "200000").status_code == 303
    assert "Menunggu kasir" in member.get("/savings/").get_data(as_text=True)
    kasir = web_client(kop, "kasir")
    assert "Penarikan untuk dibayar" in kasir.get("/queue").get_data(as_text=True)
    request_id = savings.withdrawal_requests(kop, member_id=member_id)[0][0].id
    assert kasir.post(f"/savings/withdrawals/{request_id}/pay").status_code == 303
    page = member.get("/savings/").get_data(as_text=True)
    assert "Dibayar" in page and "Rp 300.000" in page


def test_asking_for_too_much_is_refused_and_writes_nothing(kop):
    member_id, user = member_login(kop)
    savings.deposit(kop, Actor.operator(), member_id, "sukarela", "50000", method="cash",
                    reference="kas-1")
    client = web_client(kop, user)
    client.get("/savings/withdraw")
    before = snapshot(kop)
    response = ask_withdrawal(client, "900000")
    assert response.status_code == 400 and 'id="e-amount"' in response.get_data(as_text=True)
    assert snapshot(kop) == before


def test_refusing_needs_a_reason_and_the_member_sees_it(kop):
    member_id, user = member_login(kop)
    savings.deposit(kop, Actor.operator(), member_id, "sukarela", "500000", method="cash",
                    reference="kas-1")
    member = web_client(kop, user)
    assert ask_withdrawal(member).status_code == 303
    request_id = savings.withdrawal_requests(kop, member_id=member_id)[0][0].id
    kasir = web_client(kop, "kasir")
    before = snapshot(kop)
    empty = kasir.post(f"/savings/withdrawals/{request_id}/refuse", {"reason": ""})
    assert empty.status_code == 400
    assert f'id="e-reason-{request_id}"' in empty.get_data(as_text=True)
    assert snapshot(kop) == before
    assert kasir.post(f"/savings/withdrawals/{request_id}/refuse",
                      {"reason": "datang ke kantor"}).status_code == 303
    assert "datang ke kantor" in member.get("/savings/").get_data(as_text=True)


def test_a_member_never_sees_another_members_requests(kop):
    a_id, a_user = member_login(kop, "Siti Aminah")
    b_id, b_user = member_login(kop, "Budi Santoso")
    savings.deposit(kop, Actor.operator(), b_id, "sukarela", "500000", method="cash",
                    reference="kas-b")
    assert ask_withdrawal(web_client(kop, b_user), "123000").status_code == 303
    page = web_client(kop, a_user).get("/savings/").get_data(as_text=True)
    assert "123.000" not in page and a_id != b_id

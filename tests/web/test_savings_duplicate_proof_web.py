"""The portal's staff verification page warns of a proof used for another deposit and
verifies only with the confirmation box ticked (issue 14), on the Koperasi XYZ deployment."""

from __future__ import annotations

from portal import member_login
from test_savings_web import png, send_transfer

from dyncrm.db.models import Touchpoint
from dyncrm.testing import snapshot, web_client
from dyncrm_expand import savings


def test_the_cashier_sees_the_other_deposit_and_must_tick_the_box(kop):
    siti_id, siti = member_login(kop)
    budi_id, budi = member_login(kop, "Budi Santoso")
    proof = png()
    assert send_transfer(web_client(kop, siti), amount="150000", data=proof).status_code == 303
    assert send_transfer(web_client(kop, budi), amount="175000", data=proof).status_code == 303
    first = savings.pending_deposits(kop, siti_id)[0].id
    second = savings.pending_deposits(kop, budi_id)[0].id

    kasir = web_client(kop, "kasir")
    page = kasir.get(f"/savings/review/{second}").get_data(as_text=True)
    assert "Bukti ini file yang sama dengan bukti setoran lain:" in page
    assert f'href="/savings/review/{first}"' in page and "Siti Aminah" in page
    assert "Rp 150.000" in page and "Menunggu verifikasi" in page
    assert 'name="confirm_duplicate_proof"' in page
    assert "Saya sudah memeriksa mutasi rekening bank" in page

    before = snapshot(kop)
    refused = kasir.post(f"/savings/review/{second}/verify")
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert 'id="e-confirm_duplicate_proof"' in body and "Centang kotak" in body
    assert snapshot(kop) == before

    assert kasir.post(f"/savings/review/{second}/verify",
                      {"confirm_duplicate_proof": "1"}).status_code == 303
    assert savings.balance(kop, budi_id, "sukarela").amount == 175000
    verified = (Touchpoint.select().where(Touchpoint.member == budi_id,
                                          Touchpoint.kind == "savings.deposit_verified")
                .order_by(Touchpoint.id.desc()).get())
    assert verified.payload["duplicate_proof_confirmed_by"] == "kasir"
    assert verified.payload["duplicate_proof_of"] == [first] and verified.channel == "web"
    # the first deposit's page now names the verified one
    page = kasir.get(f"/savings/review/{first}").get_data(as_text=True)
    assert f'href="/savings/review/{second}"' in page and "Terverifikasi" in page


def test_a_proof_used_once_shows_no_warning_and_no_box(kop):
    member_id, user = member_login(kop)
    assert send_transfer(web_client(kop, user), data=png()).status_code == 303
    deposit_id = savings.pending_deposits(kop, member_id)[0].id
    page = web_client(kop, "kasir").get(f"/savings/review/{deposit_id}").get_data(as_text=True)
    assert "confirm_duplicate_proof" not in page and "file yang sama" not in page

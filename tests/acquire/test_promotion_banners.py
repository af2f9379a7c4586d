"""acquire.promotion banners: checked by content, stored re-encoded, shown to the audience only."""

from __future__ import annotations

import io

import acquire_support
import pytest
from acquire_support import join
from PIL import Image

from dyncrm.errors import NotFoundError, PermissionDenied, ValidationError
from dyncrm.testing import snapshot
from dyncrm.values import Actor
from dyncrm_acquire import promotion as promo
from dyncrm_acquire.models import PromotionRow
from dyncrm_acquire.promotion import banners

acq = acquire_support.acq  # the fixtures this module uses
people = acquire_support.people


def image(fmt: str = "PNG", size=(48, 16)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (250, 200, 0)).save(out, fmt)
    return out.getvalue()


def files(crm) -> list[str]:
    folder = banners.banners_dir(crm)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def offer(crm, people, **kw):
    kw.setdefault("title", "Simpanan Sukarela 5%")
    kw.setdefault("body", "Halo {{ member.name }}.")
    return promo.add(crm, people.sec, **kw)


def test_set_replace_and_remove_a_banner(acq, people):
    p = offer(acq, people)
    first = promo.set_banner(acq, people.sec, p.id, image())
    assert first.content_type == "image/png" and (first.width, first.height) == (48, 16)
    assert files(acq) == [first.file]
    assert banners.banners_dir(acq) == acq.config.data_dir / "promotions"
    # WebP is accepted and stored as PNG; the replaced file is gone
    second = promo.set_banner(acq, people.adm, p.id, image("WEBP", (30, 10)))
    assert second.file.endswith(".png") and files(acq) == [second.file]
    assert promo.get(acq, p.id).banner == second.file
    assert promo.remove_banner(acq, people.sec, p.id) is True
    assert files(acq) == [] and promo.get(acq, p.id).banner is None
    before = snapshot(acq)
    assert promo.remove_banner(acq, people.sec, p.id) is False
    assert snapshot(acq) == before


def test_the_same_key_replays_without_a_second_file(acq, people):
    p = offer(acq, people)
    first = promo.set_banner(acq, people.sec, p.id, image(), key="banner-1")
    again = promo.set_banner(acq, people.sec, p.id, image(size=(10, 10)), key="banner-1")
    assert again.replayed and again.file == first.file and files(acq) == [first.file]


@pytest.mark.parametrize("data", [b"<?php echo 'x'; ?>", b"GIF89a not really", b"", b"plain"])
def test_a_refused_file_writes_nothing(acq, people, data):
    p = offer(acq, people)
    before = snapshot(acq)
    with pytest.raises(ValidationError) as refused:
        promo.set_banner(acq, people.sec, p.id, data)
    assert refused.value.field == "banner"
    with pytest.raises(ValidationError):
        promo.add(acq, people.sec, title="Dengan gambar", body="Teks.", banner=data)
    assert snapshot(acq) == before and files(acq) == []


def test_only_promotion_managers_set_or_remove_banners(acq, people):
    p = offer(acq, people)
    before = snapshot(acq)
    with pytest.raises(PermissionDenied):
        promo.set_banner(acq, people.cashier, p.id, image())
    with pytest.raises(PermissionDenied):
        promo.remove_banner(acq, people.cashier, p.id)
    assert snapshot(acq) == before and files(acq) == []
    with pytest.raises(NotFoundError):
        promo.set_banner(acq, people.sec, 999, image())
    assert files(acq) == []


def test_a_banner_is_read_only_by_managers_and_the_audience(acq, people):
    member = join(acq, people, department="Keuangan").member
    actor = Actor(username="anggota", roles=frozenset({"member"}), member_id=member.id)
    everyone = offer(acq, people, banner=image())
    produksi = offer(acq, people, title="Khusus Produksi", audience="department:Produksi",
                     banner=image())
    plain = offer(acq, people, title="Tanpa gambar")
    served = promo.read_banner(acq, actor, everyone.id)
    assert served.content_type == "image/png" and served.path.is_file()
    assert promo.read_banner(acq, people.sec, produksi.id).path.is_file()
    for who, promotion_id in ((actor, produksi.id), (actor, plain.id),
                              (people.cashier, everyone.id), (None, everyone.id)):
        with pytest.raises(NotFoundError):
            promo.read_banner(acq, who, promotion_id)


def test_migration_0002_adds_the_banner_columns_to_an_existing_database(acq, people):
    from playhouse.migrate import SchemaMigrator

    p = offer(acq, people)
    db = acq.database
    name = "acquire.promotion:0002_promotion_banner"
    db.execute_sql(f"DELETE FROM dyncrm_schema_migration WHERE name = {db.param}", (name,))
    migrator = SchemaMigrator.from_database(db)
    with db.atomic():
        migrator.migrate(*(migrator.drop_column("acquire_promotion", c)
                           for c in ("banner", "banner_width", "banner_height")))
    assert "banner" not in {c.name for c in db.get_columns("acquire_promotion")}
    assert name in acq.pending_migrations()
    assert acq.upgrade() == [name]
    assert {"banner", "banner_width", "banner_height"} <= {
        c.name for c in db.get_columns("acquire_promotion")}
    assert PromotionRow.get_by_id(p.id).banner is None
    assert promo.set_banner(acq, people.sec, p.id, image()).width == 48

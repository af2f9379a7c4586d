"""Promotion texts are bounded in work, size, time and memory: ``dyncrm promo add`` refuses
a text that would exhaust the machine, quickly, with nothing written; ``promo push`` fills
texts in within the same bounds in-process.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from pathlib import Path

import pytest
from acquire_support import dump, staff

from dyncrm.app import open_crm
from dyncrm.db.models import Member
from dyncrm.testing import run_cli
from dyncrm.values import Actor
from dyncrm_acquire.promotion.limits import BoundedSandbox, Limits, TemplateLimit, trial_render

CONFIG = """\
[organisation]
name = "Koperasi Karyawan XYZ"
currency = "IDR"
currency_exponent = 0
locale = "id_ID"

[database]
url = "sqlite:///dyncrm.db"

[plugins]
enabled = ["acquire.registration", "acquire.promotion"]

[notify]
default_channel = "file"
"""

NESTED_RANGE = ("{% for i in range(99999) %}{% for j in range(99999) %}{{ i * j }}"
                "{% endfor %}{% endfor %}")
NESTED_SMALL = ("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}"
                "{% endfor %}Halo")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deployment with a secretary and two active members (XYZ-0001, XYZ-0002), built once."""
    folder = tmp_path_factory.mktemp("promo-limits")
    config = folder / "dyncrm.toml"
    config.write_text(CONFIG, encoding="utf-8")
    code, _, err = run_cli(["-c", str(config), "db", "upgrade"])
    assert code == 0, err
    with open_crm(config) as crm:
        staff(crm, "sec", "secretary")
        actor = Actor.operator("test")
        for number, name in (("XYZ-0001", "Siti Aminah"), ("XYZ-0002", "Budi Santoso")):
            with crm.action("test.add_member", actor):
                row = Member.create(name=name, number=number,
                                    email=f"{number.lower()}@example.com")
                crm.lifecycle.transition(row.id, "approve", actor, on=dt.date(2025, 1, 6))
    # the first command as sec opens its session, so later dumps compare like with like
    code, _, err = run_cli(["-c", str(config), "--as", "sec", "promo", "list"])
    assert code == 0, err
    return folder


@pytest.fixture
def deployment(prepared: Path, tmp_path: Path):
    """A fresh copy of the prepared deployment; ``cli(*args)`` runs dyncrm as sec."""
    folder = tmp_path / "deployment"
    shutil.copytree(prepared, folder)
    config = folder / "dyncrm.toml"

    def cli(*args: str):
        return run_cli(["-c", str(config), "--as", "sec", *args])

    cli.config = config
    return cli


def state(config: Path) -> dict:
    """Every row of every table but the CLI's login sessions (one per deployment copy)."""
    with open_crm(config) as crm:
        return {t: rows for t, rows in dump(crm).items() if t != "user_session"}


def add(cli, body: str, *extra: str):
    started = time.monotonic()
    code, out, err = cli("promo", "add", "--title", "Promo Lebaran", "--body", body, *extra)
    return code, out, err, time.monotonic() - started


# --- promo add refuses exhaustion, quickly, writing nothing ---------------------------


@pytest.mark.parametrize("body, reason", [
    (NESTED_RANGE, "range() of 99,999 items"),
    (NESTED_SMALL, "loop steps and calls"),
    ("{{ 'A' * 3000000000 }}", "3,000,000,000 characters"),
    ("{{ ('A' * 60000) | replace('A', 'A' * 60000) }}", "replace() would make"),
    ("{% for i in range(1000) %}{{ 'A' * 100 }}{% endfor %}", "longer than 65,536 characters"),
    ("{% set ns = namespace(s='A') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
     "{% endfor %}{{ ns.s }}", "joining with ~"),
    ("{{ 7 ** 9999999 }}", "far too large"),
    ("{{ '%999999999s' | format('x') }}", "format width"),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "calls itself"),
], ids=["nested range(99999)", "nested loops", "string multiplication", "replace",
        "output cap", "~ doubling", "power", "format width", "recursion"])
def test_promo_add_refuses_a_text_that_would_exhaust_the_machine(deployment, body, reason):
    before = state(deployment.config)
    code, out, err, took = add(deployment, body)
    assert code == 1, (out, err)
    assert "body:" in err and "too costly to fill in" in err and reason in err, err
    assert took < 10, f"refusing took {took:.1f} s"
    assert state(deployment.config) == before  # no promotion, nothing else


def test_the_output_cap_is_a_setting(deployment):
    config = deployment.config
    config.write_text(CONFIG + '\n[plugins."acquire.promotion"]\nmax_message_chars = 1000\n',
                      encoding="utf-8")
    code, _, err, _ = add(deployment, "{{ 'x' * 1200 }}")
    assert code == 1 and "1,000 characters" in err
    code, _, err, _ = add(deployment, "{{ 'x' * 900 }}")
    assert code == 0, err


def test_a_normal_template_still_works_and_reaches_every_member(deployment):
    body = ("Halo {{ member.name }}! {% for n in [1, 2, 3] %}{{ n }}x {% endfor %}"
            "Kode: {{ referral_code }} — {{ 1500000 | money }}, s.d. {{ today | date }}.")
    code, out, err, took = add(deployment, body, "--json")
    assert code == 0, err
    assert took < 10
    promo_id = str(json.loads(out)["data"]["id"])
    code, out, err = deployment("promo", "push", promo_id)
    assert code == 0 and "queued 2 messages" in out, (out, err)
    with open_crm(deployment.config):
        from dyncrm.db.models import OutboxMessage

        bodies = [m.body for m in OutboxMessage.select().order_by(OutboxMessage.id)]
    assert any("Halo Siti Aminah! 1x 2x 3x Kode: " in b and "Rp 1.500.000" in b
               for b in bodies), bodies


def test_push_fills_texts_in_within_the_same_bounds_and_writes_nothing_when_one_fails(
        deployment):
    # harmless for the sample member of the trial, costly for one real member
    body = ("{% if member.number == 'XYZ-0002' %}" + NESTED_SMALL + "{% endif %}"
            "Halo {{ member.name }}")
    code, out, err, _ = add(deployment, body, "--json")
    assert code == 0, err
    promo_id = str(json.loads(out)["data"]["id"])
    before = state(deployment.config)
    started = time.monotonic()
    code, out, err = deployment("promo", "push", promo_id)
    assert code == 1 and "body:" in err and "XYZ-0002" in err and "loop steps" in err, err
    assert time.monotonic() - started < 10
    assert state(deployment.config) == before  # no message queued, no event, no touchpoint


# --- the sandbox and the child process on their own -------------------------------------


def render(body: str, limits: Limits | None = None, **context) -> str:
    env = BoundedSandbox(limits or Limits())
    return env.render_text(env.compile_text(body), context)


@pytest.mark.parametrize("body", [
    "{{ 'a'.ljust(3000000000) }}",
    "{{ 'a' | center(3000000000) }}",
    "{{ '{:>{w}}'.format('a', w=999999999) }}",
    "{{ '%*s' % (999999999, 'a') }}",
    "{% set s = 'A' * 60000 %}{{ s | list | join(s) }}",
    "{% set s = 'A' * 60000 %}{{ s.replace('A', s) }}",
    "{% set l = [1] %}{% for i in range(40) %}{{ l.extend(l) }}{% endfor %}",
    "{% set s = 'A' * 60000 %}{% for c in s %}{% for d in s %}{% endfor %}{% endfor %}",
    "{% set ns = namespace(s='A') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
    "{% endfor %}",
    "{% set ns = namespace(n=3) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n %}"
    "{% endfor %}",
])
def test_the_sandbox_refuses_other_ways_to_grow_before_building_the_value(body):
    started = time.monotonic()
    with pytest.raises(TemplateLimit):
        render(body)
    assert time.monotonic() - started < 2


def test_the_sandbox_keeps_ordinary_texts_working():
    text = render("{{ '{:,}'.format(1500000) }} {{ '%d' % 1500000 }} {{ 'x' | center(5) }}|"
                  "{{ ['a', 'b'] | join(', ') }} {{ 7 * 3 }} {{ 'ab' ~ 'cd' }} "
                  "{% for i in range(3) %}{{ loop.index }}{% endfor %} {{ name | upper }}",
                  name="siti")
    assert text == "1,500,000 1500000   x  |a, b 21 abcd 123 SITI"


def trial(body: str, limits: Limits) -> int:
    return trial_render(body, {"name": "Siti"}, limits=limits, locale="id_ID",
                        currency="IDR", exponent=0)


def test_the_child_process_stops_a_rendering_at_its_wall_time_limit():
    # with the sandbox's own budgets lifted, only the child's clock can stop this
    loose = Limits(timeout=0.5, max_steps=10**12, max_range=10**9)
    started = time.monotonic()
    with pytest.raises(TemplateLimit, match=r"longer than 0\.5 s"):
        trial(NESTED_RANGE.replace("{{ i * j }}", ""), loose)
    assert time.monotonic() - started < 8


def test_the_child_process_stops_a_rendering_at_its_memory_limit():
    loose = Limits(memory_mb=64, max_chars=10**12)
    with pytest.raises(TemplateLimit, match="more than 64 MB"):
        trial("{{ ('A' * 900000000) | length }}", loose)
    assert trial("{{ name }}", Limits()) == 4  # and the next trial is unaffected

"""The deployment's TOML file, parsed into frozen attrs values.

Chosen by ``-c/--config``, else ``$DYNCRM_CONFIG``, else ``./dyncrm.toml``.
Every mistake is a :class:`~dyncrm.errors.ConfigError` that names the file,
the key, what was expected and what was found.  Values written
``{ "$env" = "NAME" }`` are read from the environment, so secrets stay out of
the file; a password or token written into the file itself loads, with a
warning in :attr:`Config.warnings`.

Decimal settings written as text follow one rule (:func:`parse_config_decimal`):
a plain number has at most one decimal mark and no thousands separators; an
amount with thousands separators is written after ``Rp``; and a single ``.``
or ``,`` followed by exactly three digits (``"100.000"``) is refused as
ambiguous, because it may mean a hundred thousand or a hundred.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import types
import typing
import zoneinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from dyncrm.errors import ConfigError, ValidationError
from dyncrm.money import DEFAULT_EXPONENTS, parse_amount

ENV_VAR = "DYNCRM_CONFIG"
DEFAULT_FILE = "dyncrm.toml"

#: Locales whose number and date conventions dyncrm knows (see dyncrm.templating.Locale).
KNOWN_LOCALES = ("id_ID", "en_US", "en_GB")

#: Abbreviations people write for a timezone, and the IANA name they mean.
TIMEZONE_ABBREVIATIONS = {
    "WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura",
    "JAKARTA": "Asia/Jakarta", "GMT+7": "Asia/Jakarta", "UTC+7": "Asia/Jakarta",
    "GMT+8": "Asia/Makassar", "UTC+8": "Asia/Makassar",
    "GMT+9": "Asia/Jayapura", "UTC+9": "Asia/Jayapura",
}

#: Keys whose values are credentials: written inline they load, with a warning.
SECRET_KEYS = ("password", "token")


@attrs.frozen
class Organisation:
    """Who runs this deployment and how it counts money and time."""

    name: str = "dyncrm"
    currency: str = "IDR"
    currency_exponent: int | None = None
    locale: str = "id_ID"
    timezone: str = "Asia/Jakarta"
    logo: str | None = None
    address: str = ""
    #: The largest amount a command or form accepts (major units); None: Rp 1.000 triliun.
    max_amount: Decimal | None = None


@attrs.frozen
class SmtpSettings:
    """How the SMTP channel reaches its server."""

    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False
    sender: str = "noreply@localhost"
    timeout: int = 30


@attrs.frozen
class NotifySettings:
    """Outbox delivery: default channel, retry policy and channel settings."""

    default_channel: str = "console"
    file_directory: str = "outbox"
    max_attempts: int = 6
    retry_base_seconds: int = 60
    quiet_hours: tuple[str, ...] = ()
    smtp: SmtpSettings = SmtpSettings()


@attrs.frozen
class AuthSettings:
    """Sign-in: how long sessions last and how failed sign-ins are slowed and locked."""

    session_idle_minutes: int = attrs.field(default=480, validator=attrs.validators.ge(1))
    session_max_hours: int = attrs.field(default=24, validator=attrs.validators.ge(1))
    max_failures: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    lock_minutes: int = attrs.field(default=15, validator=attrs.validators.ge(1))
    failure_delay_seconds: int = attrs.field(default=1, validator=attrs.validators.ge(0))
    reset_code_hours: int = attrs.field(default=24, validator=attrs.validators.ge(1))


@attrs.frozen
class ClockSettings:
    """``[clock]``: whether ``--today``/``$DYNCRM_TODAY`` may move this deployment's date.

    Only for training and staging deployments (see :mod:`dyncrm.simclock`);
    ``label`` names the deployment in the banner every command then prints.
    """

    simulated: bool = False
    label: str = "training deployment"


@attrs.frozen
class WebSettings:
    """``[web]``: the portal started by ``dyncrm serve`` (see :mod:`dyncrm.web`).

    ``secret_key`` signs the portal's cookies; left empty, a random key is made
    once and kept in ``web-secret`` beside the config file (mode 0600), which
    every worker on that machine shares.  Workers on several machines need the
    same key: give it with ``{ "$env" = "DYNCRM_WEB_SECRET" }``.
    ``trusted_proxies`` is how many reverse proxies in front of the portal may set
    ``X-Forwarded-For``/``-Proto``/``-Host`` (0: none; 1 behind one nginx).
    """

    secret_key: str = ""
    trusted_proxies: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    host: str = "127.0.0.1"
    port: int = attrs.field(default=8080, validator=[attrs.validators.ge(1),
                                                      attrs.validators.le(65535)])
    threads: int = attrs.field(default=8, validator=attrs.validators.ge(1))
    max_upload_mb: int = attrs.field(default=10, validator=attrs.validators.ge(1))


@attrs.frozen
class BackupSettings:
    """``[backup]``: where backups go and whether ``dyncrm run-due`` takes one daily.

    ``folder`` is relative to the config file's folder (default ``backups``);
    ``daily = true`` makes ``run-due`` take one backup a day into it and keep the
    newest ``keep`` of them (see :mod:`dyncrm.backup`).
    """

    folder: str = "backups"
    daily: bool = False
    keep: int = attrs.field(default=14, validator=attrs.validators.ge(1))


@attrs.frozen
class ReceiptSettings:
    """``[receipts]``: how receipt numbers look (see :mod:`dyncrm.receipts`).

    ``prefix`` starts every number: ``prefix = "KW"`` numbers ``KW-2025-000123``
    (letters and digits, at most 10).
    """

    prefix: str = attrs.field(default="R", validator=attrs.validators.matches_re(
        r"[A-Za-z0-9]{1,10}"))


class MissingSecret:
    """A setting written ``{ "$env" = "NAME" }`` whose variable is not set.

    The configuration still loads (every command that does not need the value
    keeps working); the first use of the value raises a :class:`ConfigError`
    naming the setting and the variable, so the command that needs it says so.
    It is truthy, so ``if settings.token:`` goes on to use it and explain.
    """

    def __init__(self, variable: str, key: str, path: Path | None) -> None:
        self.variable, self.key, self.path = variable, key, path

    def error(self) -> ConfigError:
        """The error every use of the value raises."""
        return ConfigError(
            f"environment variable {self.variable} is not set; this command needs it. "
            f"Set it, or remove the setting to use the default",
            path=str(self.path) if self.path else None, key=self.key)

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        raise self.error()

    def __format__(self, spec: str) -> str:
        raise self.error()

    def __len__(self) -> int:
        raise self.error()

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        raise self.error()

    def __repr__(self) -> str:
        return f"<not set: ${self.variable}>"


def secret_value(value: Any) -> Any:
    """``value``, or the :class:`ConfigError` of a :class:`MissingSecret` raised."""
    if isinstance(value, MissingSecret):
        raise value.error()
    return value


def missing_secrets(value: Any) -> list[MissingSecret]:
    """Every :class:`MissingSecret` inside a resolved configuration value."""
    if isinstance(value, MissingSecret):
        return [value]
    if isinstance(value, dict):
        return [m for v in value.values() for m in missing_secrets(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in missing_secrets(v)]
    return []


@attrs.frozen
class Config:
    """The whole configuration of one deployment.

    ``warnings`` holds sentences about settings that load but deserve a second
    look (a password written into the file); the CLI prints them on stderr.
    """

    path: Path | None
    base_dir: Path
    organisation: Organisation
    database_url: str
    enabled: tuple[str, ...]
    template_dir: Path | None
    data_dir: Path
    notify: NotifySettings
    permissions: dict[str, tuple[str, ...]]
    plugin_sections: dict[str, dict[str, Any]]
    warnings: tuple[str, ...] = ()
    auth: AuthSettings = AuthSettings()
    quorum: dict[str, Any] = attrs.field(factory=dict)  # decision -> dyncrm.quorum.QuorumRule
    clock: ClockSettings = ClockSettings()
    web: WebSettings = WebSettings()
    backup: BackupSettings = BackupSettings()
    receipts: ReceiptSettings = ReceiptSettings()
    #: ``[books]``: the chart of accounts (:class:`dyncrm.books.chart.BooksSettings`)
    books: Any = attrs.field(factory=lambda: _books_settings(None))

    @property
    def currency_exponent(self) -> int:
        """Minor-unit exponent of the organisation's currency."""
        if self.organisation.currency_exponent is not None:
            return self.organisation.currency_exponent
        return DEFAULT_EXPONENTS.get(self.organisation.currency, 2)

    def resolve(self, relative: str | Path) -> Path:
        """A path from the config made absolute against the config file's folder."""
        p = Path(relative).expanduser()
        return p if p.is_absolute() else self.base_dir / p


def find_config_path(explicit: str | os.PathLike | None = None) -> Path:
    """The config file to use: explicit, else ``$DYNCRM_CONFIG``, else ``./dyncrm.toml``."""
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return Path.cwd() / DEFAULT_FILE


def resolve_secrets(value: Any, where: str, path: Path | None) -> Any:
    """Replace ``{"$env": "NAME"}`` and ``{"$file": "path"}`` by what they point at."""
    if isinstance(value, dict):
        if set(value) == {"$env"}:
            name = value["$env"]
            if name not in os.environ:
                # loads; the command that uses it refuses, naming the variable
                return MissingSecret(name, where, path)
            return os.environ[name]
        if set(value) == {"$file"}:
            try:
                return Path(value["$file"]).read_text().strip()
            except OSError as exc:
                raise ConfigError(f"cannot read {value['$file']}: {exc}", path=path,
                                  key=where) from None
        return {k: resolve_secrets(v, f"{where}.{k}" if where else k, path)
                for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_secrets(v, f"{where}[{i}]", path) for i, v in enumerate(value)]
    return value


_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_AMBIGUOUS = re.compile(r"[+-]?0*([1-9]\d*)[.,]\d{3}")
_CURRENCY_PREFIX = re.compile(r"^(rp\.?|idr)\s*", re.IGNORECASE)


def parse_config_decimal(text: str) -> Decimal:
    """A decimal setting written as text, by the configuration's one rule.

    - A plain number has at most one decimal mark, ``.`` or ``,``: ``"7.5"``,
      ``"2,5"``, ``"0.125"``, ``"100000"``.
    - A single mark followed by exactly three digits, after a whole part other
      than 0 (``"100.000"``, ``"1,500"``), is ambiguous: it could be a thousands
      separator or a decimal mark.  It is refused.
    - Thousands separators are written only after ``Rp`` (or ``IDR``), the
      Indonesian way: ``"Rp 100.000"``, ``"Rp 1.250.000,50"``.

    Raises :class:`ValueError` with a sentence saying what to write instead.
    """
    raw = text.strip()
    if _CURRENCY_PREFIX.match(raw):
        try:
            return parse_amount(raw, decimal_mark=",")
        except ValidationError:
            raise ValueError("is not an amount; write e.g. \"Rp 100.000\" or "
                             "\"Rp 1.250.000,50\"") from None
    number = raw.replace(" ", "")
    if _AMBIGUOUS.fullmatch(number):
        whole, frac = re.split(r"[.,]", number.lstrip("+-"))
        sign = "-" if number.startswith("-") else ""
        raise ValueError(
            f"{raw!r} is ambiguous: it may mean {sign}{int(whole + frac)} or "
            f"{sign}{int(whole)}.{frac}; write an amount as the whole number "
            f"{sign}{int(whole + frac)} (or \"Rp {raw.lstrip('+-')}\"), a decimal as "
            f"\"{sign}{int(whole)}.{frac.rstrip('0') or '0'}\"")
    if not _PLAIN_NUMBER.fullmatch(number):
        raise ValueError("is not a number; write digits with at most one decimal mark "
                         "(\"7.5\", \"100000\"); thousands separators only after Rp "
                         "(\"Rp 100.000\")")
    return Decimal(number.replace(",", "."))


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _convert(value: Any, tp: Any, key: str, path: Path | None) -> Any:
    """Check and convert one TOML value to the annotated type ``tp``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        last: ConfigError | None = None
        for arg in args:
            try:
                return _convert(value, arg, key, path)
            except ConfigError as exc:
                last = exc
        raise last  # type: ignore[misc]
    if tp is Any or isinstance(value, MissingSecret):
        return value
    if attrs.has(tp):
        if not isinstance(value, dict):
            raise ConfigError("must be a table", path=path, key=key, expected="a table",
                              found=value)
        return structure(tp, value, key, path)
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError("must be a list", path=path, key=key, expected="a list",
                              found=value)
        item_tp = args[0] if args else Any
        return tuple(_convert(v, item_tp, f"{key}[{i}]", path) for i, v in enumerate(value))
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise ConfigError("must be a table", path=path, key=key, expected="a table",
                              found=value)
        args = typing.get_args(tp)
        if args:
            return {k: _convert(v, args[1], f"{key}.{k}", path) for k, v in value.items()}
        return dict(value)
    if tp is Decimal:
        if isinstance(value, float):
            raise ConfigError("write decimal numbers in quotes so they stay exact",
                              path=path, key=key, expected='a string such as "1.5"', found=value)
        if isinstance(value, bool):
            raise ConfigError("must be a number", path=path, key=key, expected="a number",
                              found=value)
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, str):
            try:
                return parse_config_decimal(value)
            except ValueError as exc:
                raise ConfigError(str(exc), path=path, key=key,
                                  expected='a number such as "7.5", 100000 or "Rp 100.000"',
                                  found=value) from None
        raise ConfigError("must be a number", path=path, key=key, expected="a number",
                          found=value)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError("must be true or false", path=path, key=key,
                              expected="true or false", found=value)
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError("must be a whole number", path=path, key=key,
                              expected="an integer", found=value)
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError("must be text", path=path, key=key, expected="a string",
                              found=value)
        return value
    if tp is Path:
        if not isinstance(value, str):
            raise ConfigError("must be a path", path=path, key=key, expected="a path string",
                              found=value)
        return Path(value)
    if isinstance(tp, type) and isinstance(value, tp):
        return value
    raise ConfigError("has an unsupported type", path=path, key=key,
                      expected=_type_name(tp), found=value)


def structure(cls: type, data: dict[str, Any], where: str, path: Path | None = None) -> Any:
    """Build the frozen attrs class ``cls`` from a TOML table, checking every key.

    Unknown keys are refused (a typo never goes unnoticed), missing keys take
    the class's defaults, and each value is checked against its annotation.
    """
    attrs.resolve_types(cls)
    fields = {f.name: f for f in attrs.fields(cls)}
    aliases = {f.alias: f for f in attrs.fields(cls)}
    unknown = sorted(set(data) - set(fields) - set(aliases))
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r}; known keys: {', '.join(sorted(fields))}",
            path=path, key=where,
        )
    kwargs = {}
    for name, value in data.items():
        field = fields.get(name) or aliases[name]
        key = f"{where}.{name}" if where else name
        kwargs[field.alias] = _convert(value, field.type, key, path)
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        if exc.path is not None:
            raise
        # raised by the class's own checks, with a key relative to its table
        raise ConfigError(exc.message, path=path,
                          key=f"{where}.{exc.key}" if exc.key and where else exc.key or where,
                          expected=exc.expected, found=exc.found) from None
    except TypeError as exc:
        raise ConfigError(f"incomplete: {exc}", path=path, key=where) from None
    except ValueError as exc:
        raise ConfigError(str(exc), path=path, key=where) from None


KNOWN_TOP_LEVEL = {"organisation", "database", "plugins", "notify", "permissions", "paths",
                   "auth", "quorum", "clock", "web", "backup", "receipts", "books"}


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read and check the config file (see :func:`find_config_path`)."""
    p = find_config_path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            "no configuration file here; create one with 'dyncrm init' or pass -c FILE",
            path=p,
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"is not valid TOML: {exc}", path=p) from None
    return config_from_dict(raw, path=p.resolve())


def config_from_dict(raw: dict[str, Any], *, path: Path | None = None,
                     base_dir: Path | None = None) -> Config:
    """Build a :class:`Config` from already-parsed TOML (tests use this directly)."""
    base = base_dir or (path.parent if path else Path.cwd())
    unknown = sorted(set(raw) - KNOWN_TOP_LEVEL)
    if unknown:
        raise ConfigError(f"unknown section [{unknown[0]}]; known: "
                          f"{', '.join(sorted(KNOWN_TOP_LEVEL))}", path=path)
    if "organisation" not in raw:
        raise ConfigError(
            "is missing: every deployment says who runs it and how it counts money and "
            "time (name, currency, locale, timezone); see docs/configuration.md",
            path=path, key="organisation",
            expected="a table", found=None)
    warnings = inline_secret_warnings(raw, path)
    raw = resolve_secrets(raw, "", path)
    warnings.extend(
        f"[{m.key}] reads environment variable {m.variable}, which is not set; commands "
        "that need it refuse until it is" for m in missing_secrets(raw))
    org = structure(Organisation, raw["organisation"], "organisation", path)
    check_organisation(org, path)
    database = raw.get("database", {})
    url = database.get("url", "sqlite:///dyncrm.db")
    if isinstance(url, MissingSecret):
        raise url.error()  # every command needs the database
    if not isinstance(url, str):
        raise ConfigError("must be text", path=path, key="database.url",
                          expected="a URL", found=url)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and \
            url != "sqlite:///:memory:":
        url = "sqlite:///" + str(base / url[len("sqlite:///"):])
    plugins = dict(raw.get("plugins", {}))
    enabled = plugins.pop("enabled", [])
    if not isinstance(enabled, list) or not all(isinstance(n, str) for n in enabled):
        raise ConfigError("must be a list of plugin names", path=path, key="plugins.enabled",
                          expected="a list of strings", found=enabled)
    twice = sorted({n for n in enabled if enabled.count(n) > 1})
    if twice:
        raise ConfigError(f"lists {twice[0]!r} more than once; list each plugin once",
                          path=path, key="plugins.enabled", expected="each name once",
                          found=enabled)
    template_dir = plugins.pop("template_dir", None)
    sections = {}
    for name, section in plugins.items():
        if not isinstance(section, dict):
            raise ConfigError("must be a table", path=path, key=f"plugins.{name}",
                              expected="a table", found=section)
        sections[name] = section
    paths = raw.get("paths", {})
    data_dir = base / paths.get("data_dir", "data")
    notify = structure(NotifySettings, raw.get("notify", {}), "notify", path)
    auth = structure(AuthSettings, raw.get("auth", {}), "auth", path)
    clock = structure(ClockSettings, raw.get("clock", {}), "clock", path)
    web = structure(WebSettings, raw.get("web", {}), "web", path)
    backup = structure(BackupSettings, raw.get("backup", {}), "backup", path)
    receipts = structure(ReceiptSettings, raw.get("receipts", {}), "receipts", path)
    quorum = parse_quorum(raw.get("quorum", {}), path)
    books = _books_settings(raw.get("books"), path)
    perms = raw.get("permissions", {})
    permissions = {}
    for name, roles in perms.items():
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise ConfigError("must be a list of role names", path=path,
                              key=f"permissions.{name}", expected="a list of strings",
                              found=roles)
        permissions[name] = tuple(roles)
    return Config(
        path=path,
        base_dir=base,
        organisation=org,
        database_url=url,
        enabled=tuple(enabled),
        template_dir=(base / template_dir) if template_dir else None,
        data_dir=data_dir,
        notify=notify,
        permissions=permissions,
        plugin_sections=sections,
        warnings=tuple(warnings),
        auth=auth,
        quorum=quorum,
        clock=clock,
        web=web,
        backup=backup,
        receipts=receipts,
        books=books,
    )


def _books_settings(raw: Any, path: Path | None = None) -> Any:
    """``[books]`` parsed by :func:`dyncrm.books.chart.parse_settings`."""
    from dyncrm.books.chart import parse_settings

    return parse_settings(raw, path)


def parse_quorum(section: Any, path: Path | None = None) -> dict[str, Any]:
    """``[quorum."<decision>"]`` tables into :class:`dyncrm.quorum.QuorumRule` values."""
    from dyncrm.quorum import QuorumRule
    from dyncrm.values import ROLES

    if not isinstance(section, dict):
        raise ConfigError("must be a table of decisions", path=path, key="quorum",
                          expected='[quorum."loans.approve"] tables', found=section)
    rules = {}
    for decision, table in section.items():
        where = f"quorum.{decision}"
        if not isinstance(table, dict):
            raise ConfigError("must be a table", path=path, key=where,
                              expected="approvals, above, roles", found=table)
        rule = structure(QuorumRule, table, where, path)
        unknown = [r for r in rule.roles if r not in ROLES]
        if unknown:
            raise ConfigError(f"names unknown role {unknown[0]!r}; roles are "
                              f"{', '.join(ROLES)}", path=path, key=f"{where}.roles")
        rules[decision] = rule
    return rules


def check_organisation(org: Organisation, path: Path | None = None) -> None:
    """Refuse an organisation whose currency, locale or timezone dyncrm cannot use."""
    if org.currency_exponent is not None and not 0 <= org.currency_exponent <= 6:
        raise ConfigError("must be between 0 and 6", path=path,
                          key="organisation.currency_exponent", expected="0..6",
                          found=org.currency_exponent)
    known = sorted(c for c in DEFAULT_EXPONENTS if c != "POINTS")
    declared = bool(re.fullmatch(r"[A-Z]{3}", org.currency)) and \
        org.currency_exponent is not None
    if org.currency not in known and not declared:
        raise ConfigError(
            f"unknown currency; known: {', '.join(known)} (for another ISO 4217 code "
            "also set currency_exponent, its number of decimal places)",
            path=path, key="organisation.currency",
            expected=f"one of {', '.join(known)}", found=org.currency)
    if org.locale not in KNOWN_LOCALES:
        close = difflib.get_close_matches(org.locale.replace("-", "_"), KNOWN_LOCALES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"unknown locale{hint}; known: {', '.join(KNOWN_LOCALES)}",
                          path=path, key="organisation.locale",
                          expected=f"one of {', '.join(KNOWN_LOCALES)}", found=org.locale)
    check_timezone(org.timezone, path)


def check_timezone(name: str, path: Path | None = None) -> None:
    """Refuse a timezone that is not an IANA name, suggesting the one meant."""
    try:
        zoneinfo.ZoneInfo(name)
        return
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    meant = TIMEZONE_ABBREVIATIONS.get(name.strip().upper())
    if meant is None:
        close = difflib.get_close_matches(name, sorted(zoneinfo.available_timezones()), n=1)
        meant = close[0] if close else None
    hint = f"write timezone = {meant!r}; " if meant else ""
    raise ConfigError(
        f"is not a timezone name; {hint}use a name from the IANA time zone database, "
        "e.g. 'Asia/Jakarta' (WIB), 'Asia/Makassar' (WITA) or 'Asia/Jayapura' (WIT)",
        path=path, key="organisation.timezone", expected="an IANA name such as 'Asia/Jakarta'",
        found=name)


def inline_secret_warnings(raw: dict[str, Any], path: Path | None = None,
                           where: str = "") -> list[str]:
    """Warnings for passwords and tokens written into the file instead of ``$env``."""
    found: list[str] = []
    for key, value in raw.items():
        here = f"{where}.{key}" if where else key
        if isinstance(value, dict) and set(value) - {"$env", "$file"}:
            found.extend(inline_secret_warnings(value, path, here))
        elif key in SECRET_KEYS and isinstance(value, str) and value:
            env = "DYNCRM_" + re.sub(r"[^A-Z0-9]+", "_", here.upper()).strip("_")
            found.append(
                f"{path or 'configuration'}: [{here}] is written in the file; anyone who "
                f"can read the file can read it. Write {key} = {{ \"$env\" = \"{env}\" }} "
                "and set that environment variable instead")
    return found

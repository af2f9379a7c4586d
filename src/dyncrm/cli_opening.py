"""``dyncrm opening``: import a cooperative's opening balances and reconcile them.

``dyncrm opening import FILE...`` reads the sheets (CSV files, or an XLSX
workbook with one worksheet per sheet), checks every row, writes everything in
one action and prints the reconciliation against the control totals; ``dyncrm
opening columns`` prints the columns each sheet takes.  See
docs/user-guide/opening-balances.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dyncrm import output, params
from dyncrm.cli import examples, json_option, pass_actor, pass_crm, subgroup
from dyncrm.errors import DyncrmError, ValidationError


def _pairs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for value in values:
        name, sep, amount = value.partition("=")
        if not sep or not name.strip() or not amount.strip():
            raise ValidationError(f"--control-total: write KIND=AMOUNT (e.g. "
                                  f"sukarela=12.500.000), not {value!r}")
        out.append((name.strip(), amount.strip()))
    return out


def _show(crm, report, *, as_json: bool, csv_path: str | None) -> None:
    """Print the report: JSON, or the sheets, totals, notes and problems as tables."""
    if csv_path:
        rows = report.rows(crm, plain=True)
        columns = ["sheet", "total", "imported", "control", "ledger", "difference", "status"]
        if csv_path == "-":
            output.write_csv(rows, sys.stdout, columns)
        else:
            with Path(csv_path).open("w", encoding="utf-8", newline="") as fh:
                output.write_csv(rows, fh, columns)
    if as_json:
        output.emit(report.as_dict(crm))
        return
    if csv_path == "-":
        return
    click.echo(f"Opening balances as of {report.as_of.isoformat()}")
    output.table([{"file": f, "sheet": s, "rows": n} for f, s, n in report.sheets],
                 align_right=["rows"])
    if report.lines and not report.problems:  # with problems the totals are partial
        click.echo("")
        output.table(report.rows(crm), ["sheet", "total", "imported", "control", "ledger",
                                        "difference", "status"],
                     align_right=["imported", "control", "ledger", "difference"])
    for note in report.notes:
        click.echo(f"note: {note}")
    if report.problems:
        click.echo("")
        output.table([{"where": p.where, "problem": p.message} for p in report.problems])


def register(cli: click.Group) -> None:
    """Add the ``opening`` group to ``cli``."""
    opening = subgroup(cli, "opening", help="Opening balances: move a cooperative's books "
                                            "into dyncrm from spreadsheets.")

    @examples("dyncrm --as ketua opening import anggota.csv simpanan.csv pinjaman.csv "
              "--as-of 2025-12-31 --control kontrol.csv --dry-run",
              run=False)
    @opening.command("import")
    @click.argument("files", nargs=-1, required=True,
                    type=click.Path(exists=True, dir_okay=False))
    @click.option("--as-of", type=params.PAST_DATE, default=None,
                  help="The cut-over date the balances stand on (default: today).")
    @click.option("--control", "control_path", type=click.Path(exists=True, dir_okay=False),
                  help="CSV or XLSX of control totals (columns jenis, jumlah).")
    @click.option("--control-total", "control_totals", multiple=True, metavar="KIND=AMOUNT",
                  help="A control total, e.g. sukarela=12.500.000 or anggota=120 "
                       "(repeatable).")
    @click.option("--dry-run", is_flag=True,
                  help="Run every check and print the report; write nothing.")
    @click.option("--accept-differences", is_flag=True,
                  help="Import even when a total differs from its control total.")
    @click.option("--csv", "csv_path", metavar="PATH",
                  help="Also write the reconciliation as CSV to PATH ('-': standard output).")
    @json_option
    @pass_actor
    def opening_import(crm, actor, files, as_of, control_path, control_totals, dry_run,
                       accept_differences, csv_path, as_json):
        """Import opening balances from FILES (anggota, simpanan, pinjaman; CSV or XLSX)."""
        from dyncrm.opening import OpeningRejected, control_file, import_opening, parse_controls

        controls = parse_controls(crm, _pairs(control_totals))
        if control_path:
            for key, value in control_file(crm, control_path).items():
                if key in controls and controls[key] != value:
                    raise ValidationError(f"the control total {key[1]} is given in "
                                          f"{control_path} and by --control-total, differently")
                controls[key] = value
        try:
            report = import_opening(crm, actor, files, as_of=as_of, controls=controls,
                                    dry_run=dry_run, accept_differences=accept_differences)
        except OpeningRejected as exc:
            if not (exc.report.lines or exc.report.problems or as_json):
                raise
            _show(crm, exc.report, as_json=as_json, csv_path=csv_path)
            if exc.report.problems and not as_json:  # listed above: say it once
                raise DyncrmError(f"{len(exc.report.problems)} problem(s), listed above; "
                                  "nothing was imported") from None
            raise
        if report.replayed:
            for name, at, by in report.previous:
                click.echo(f"{name} was already imported on {at} by {by}; nothing was "
                           "written again", err=as_json)
            if as_json:
                output.emit(report.as_dict(crm))
            return
        _show(crm, report, as_json=as_json, csv_path=csv_path)
        if report.dry_run:
            click.echo("dry run: every check passed; nothing was written", err=True)
            if report.differences:
                raise ValidationError(f"{len(report.differences)} total(s) differ; without "
                                      "--accept-differences the import would be refused")
        else:
            click.echo(f"imported {', '.join(f'{n} {s} row(s)' for _, s, n in report.sheets)} "
                       f"as of {report.as_of.isoformat()}"
                       + (" (differences accepted)" if report.differences else ""), err=True)

    @examples("dyncrm --as ketua opening columns pinjaman")
    @opening.command("columns")
    @click.argument("sheet", required=False)
    @json_option
    @pass_crm
    def opening_columns(crm, sheet, as_json):
        """The columns each sheet takes, with the headers they go by."""
        from dyncrm.opening import sheets

        known = sheets(crm)
        if sheet is not None:
            known = [s for s in known if s.name == sheet or sheet in s.aliases]
            if not known:
                raise ValidationError(f"no sheet {sheet!r}; sheets: "
                                      f"{', '.join(s.name for s in sheets(crm))}")
        rows = [{"sheet": s.name, "column": c.name, "required": c.required,
                 "headers": ", ".join(c.headers), "meaning": c.description}
                for s in known for c in s.columns]
        if as_json:
            output.emit(rows)
        else:
            output.table(rows)


__all__ = ["register"]

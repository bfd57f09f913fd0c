"""`minilok indicators ...`: load the built-in catalogue, import values from a file."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

cli = typer.Typer(help="Indicators: catalogue and value imports.", no_args_is_help=True)

IMPORT_CHUNK = 5000


def _session():
    from minilok_indicators.service import spec
    from minilok_shared.cli import prepare
    from minilok_shared.db import make_engine, make_sessionmaker

    settings = prepare(spec)
    engine = make_engine(settings.database_url)
    return settings, engine, make_sessionmaker(engine)


@cli.command("load-catalogue")
def load_catalogue(
    file: Annotated[Path | None, typer.Option(help="A catalogue YAML (default: the built-in one)")] = None,
) -> None:
    """Insert or update the built-in indicator catalogue (safe to run again)."""
    from minilok_indicators.catalogue import CATALOGUE_FILE, read_catalogue, upsert_indicators

    _settings, engine, sessions = _session()
    indicators = read_catalogue(file or CATALOGUE_FILE)
    with sessions() as session:
        count = upsert_indicators(session, indicators)
        session.commit()
    engine.dispose()
    typer.echo(f"{count} indikator dimuat / indicators loaded")


@cli.command("load-areas")
def load_areas(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                                    help="CSV (code,name,level,parent_code) or JSON list")]) -> None:
    """Add an area hierarchy from a file in one transaction: all areas or, on any error, none."""
    from pydantic import TypeAdapter, ValidationError

    from minilok_indicators.api.schemas import AreaCreate
    from minilok_indicators.areas import add_areas
    from minilok_indicators.tabular import csv_rows

    text = file.read_text(encoding="utf-8-sig")
    try:
        raw = json.loads(text) if file.suffix.lower() == ".json" else csv_rows(text)[1]
    except (ValueError, csv.Error) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        items = TypeAdapter(list[AreaCreate]).validate_python(raw)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            typer.echo(f"baris/row {'.'.join(str(p) for p in error['loc'])}: {error['msg']}", err=True)
        raise typer.Exit(1) from exc
    _settings, engine, sessions = _session()
    with sessions() as session:
        rows, errors = add_areas(session, [item.model_dump() for item in items])
        if errors:
            for error in errors:
                typer.echo(f"baris/row {error.index}: {error.field}: {error.message}", err=True)
            raise typer.Exit(1)
        session.commit()
    engine.dispose()
    typer.echo(f"{len(rows)} wilayah ditambahkan / areas added")


def _read_rows(path: Path) -> list:
    from minilok_indicators.api.values import parse_csv

    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        rows = json.loads(text)
        if not isinstance(rows, list):
            raise typer.BadParameter("the JSON file must hold a list of rows")
        return rows
    return parse_csv(text)


@cli.command("import")
def import_values(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                                         help="CSV (columns of POST /values) or JSON list")]) -> None:
    """Import values from a file in chunks, with a progress bar; rejected rows are listed on stderr."""
    from fastapi import HTTPException

    from minilok_indicators.ingest import ingest_values

    settings, engine, sessions = _session()
    try:
        rows = _read_rows(file)
    except HTTPException as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from exc
    except (ValueError, csv.Error) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    accepted, rejected, events = 0, [], 0
    with typer.progressbar(length=len(rows), label="Mengimpor / importing", file=sys.stderr) as progress:
        for start in range(0, len(rows), IMPORT_CHUNK):
            chunk = rows[start:start + IMPORT_CHUNK]
            # One transaction per chunk; a re-run after a failure is safe (upsert).
            with sessions() as session:
                result = ingest_values(session, chunk, event_levels=settings.event_level_set(), index_offset=start)
                session.commit()
            accepted += result.accepted
            rejected += result.rejected
            events += len(result.events)
            progress.update(len(chunk))
    engine.dispose()
    for row in rejected:
        typer.echo(f"baris/row {row['index']}: {row['field'] or '-'}: {row['detail']}", err=True)
    typer.echo(json.dumps({"accepted": accepted, "rejected": len(rejected), "events": events}))
    if rejected:
        raise typer.Exit(1)

"""`minilok indicators ...`: load the built-in catalogue, import values from a file."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from minilok_indicators.spec import spec

cli = typer.Typer(help="Indicators: catalogue and value imports.", no_args_is_help=True)

IMPORT_CHUNK = 20000


def _session():
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
    from minilok_indicators.service_layer.catalogue import CATALOGUE_FILE, read_catalogue, upsert_indicators

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

    from minilok_indicators.formats.tabular import csv_rows
    from minilok_indicators.schemas import AreaCreate
    from minilok_indicators.service_layer.areas import add_areas

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


@cli.command("rebuild-aggregates")
def rebuild_aggregates(
    indicator: Annotated[list[str] | None, typer.Option(help="Only this indicator (repeatable)")] = None,
) -> None:
    """Recompute the stored rollups from the values (after a restore or a manual fix); ingests
    wait for it, reads go on."""
    from minilok_indicators.service_layer.aggregates import rebuild

    _settings, engine, sessions = _session()
    with sessions() as session:
        written = rebuild(session, indicator or None)
        session.commit()
    engine.dispose()
    typer.echo(f"{written} baris rollup ditulis / rollup rows written")


def _row_chunks(path: Path, size: int) -> tuple[int, Iterator[list]]:
    """How many rows the file holds and the rows in chunks. A CSV is streamed (memory stays flat
    however large the file); a JSON file holds one list and is read whole."""
    from minilok_indicators.formats.tabular import require_value_columns, value_cells

    if path.suffix.lower() == ".json":
        rows = json.loads(path.read_text(encoding="utf-8-sig"))
        if not isinstance(rows, list):
            raise typer.BadParameter("the JSON file must hold a list of rows")
        return len(rows), (rows[start:start + size] for start in range(0, len(rows), size))
    with open(path, encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), [])
        total = sum(1 for _ in csv.reader(fh))  # data rows (a quoted cell may span lines)
    require_value_columns(header)

    def chunks() -> Iterator[list]:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            chunk = []
            for row in value_cells(next(reader, []), reader):
                chunk.append(row)
                if len(chunk) == size:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

    return total, chunks()


@cli.command("import")
def import_values(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                                         help="CSV (columns of POST /values) or JSON list")]) -> None:
    """Import values from a file in chunks, with a progress bar; rejected rows are listed on stderr."""
    from minilok_indicators.dialect import analyze
    from minilok_indicators.service_layer.ingest import ingest_values

    settings, engine, sessions = _session()
    accepted, rejected, events, start, next_analyze = 0, [], 0, 0, IMPORT_CHUNK
    try:
        total, chunks = _row_chunks(file, IMPORT_CHUNK)
        with typer.progressbar(length=total, label="Mengimpor / importing", file=sys.stderr) as progress:
            for chunk in chunks:
                # One transaction per chunk; a re-run after a failure is safe (upsert).
                with sessions() as session:
                    result = ingest_values(session, chunk, event_levels=settings.event_level_set(),
                                           index_offset=start)
                    session.commit()
                start += len(chunk)
                if start >= next_analyze:
                    # After 5k, 10k, 20k, 40k... rows: statistics that keep up with the load.
                    with sessions() as session:
                        analyze(session, ["indicator_values", "area_rollups", "target_status"])
                        session.commit()
                    next_analyze *= 2
                accepted += result.accepted
                rejected += result.rejected
                events += len(result.events)
                progress.update(len(chunk))
    except (ValueError, csv.Error) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    for row in rejected:
        typer.echo(f"baris/row {row['index']}: {row['field'] or '-'}: {row['detail']}", err=True)
    typer.echo(json.dumps({"accepted": accepted, "rejected": len(rejected), "events": events}))
    if rejected:
        raise typer.Exit(1)

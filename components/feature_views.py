"""Feature Store widgets: the group list, a group's detail, and the forms for ingestion, look-up, the dataset builder
and a new group. Forms return the user's request when submitted (the page makes the call), else None."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from services.features.models import (
    FEATURE_TYPES,
    DatasetRequest,
    DatasetResult,
    FeatureDefinition,
    FeatureGroup,
    FeatureGroupSpec,
    IngestSource,
)
from services.models import Column, Job

INGEST_KINDS = {"table": "Catalog table", "sql": "SQL", "file": "File upload"}
TIME_HINTS = ("event_time", "eventtime", "event_ts", "timestamp", "time", "date", "updated_at", "created_at")


@dataclass(frozen=True)
class IngestChoice:
    """What to ingest: a source the port reads, or an uploaded file (imported as a table first)."""

    source: IngestSource
    upload: Any = None  # a Streamlit UploadedFile


def freshness(written_at: str, now: datetime | None = None) -> str:
    """A last write time as people say it: "3 min ago"."""
    if not written_at:
        return "never written"
    when = datetime.fromisoformat(written_at.replace("Z", "+00:00"))
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    seconds = max(0.0, ((now or datetime.now(UTC)) - when).total_seconds())
    for size, unit in ((86_400, "d"), (3_600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size:.0f} {unit} ago"
    return "just now"


def stores(group: FeatureGroup) -> str:
    spec = group.spec
    online = f"online (TTL {spec.ttl_seconds:,} s)" if spec.online and spec.ttl_seconds else "online"
    return " + ".join(name for name, on in ((online, spec.online), ("offline", spec.offline)) if on)


def groups_frame(groups: list[FeatureGroup], counts_known: bool = True) -> pd.DataFrame:
    """``counts_known`` False (SageMaker does not describe counts or write times): those columns say "–"."""
    return pd.DataFrame({
        "feature group": [g.name for g in groups],
        "features": [len(g.spec.features) for g in groups],
        "records": [f"{g.record_count:,}" if counts_known else "–" for g in groups],
        "stores": [stores(g) for g in groups],
        "freshness": [freshness(g.last_written_at) if counts_known else "–" for g in groups],
        "description": [g.spec.description for g in groups],
    })


def render_group_list(groups: list[FeatureGroup], *, counts_known: bool, key: str) -> str | None:
    """The groups as a table and a picker; the name picked."""
    st.dataframe(groups_frame(groups, counts_known), hide_index=True, width="stretch", key=f"{key}.table")
    return st.selectbox("Feature group", [g.name for g in groups], key=key)


def written(group: FeatureGroup, statistics: list[dict[str, Any]], counts_known: bool) -> tuple[str, str]:
    """(records written, last write) from the group, else from its statistics, else unknown."""
    if counts_known:
        return f"{group.record_count:,}", freshness(group.last_written_at)
    if not statistics:
        return "–", "–"
    first = statistics[0]
    last = first.get("last_written_at") or ""
    return "–", freshness(str(last))


def definitions_frame(group: FeatureGroup) -> pd.DataFrame:
    spec = group.spec
    roles = {spec.record_identifier: "record identifier", spec.event_time: "event time"}
    return pd.DataFrame({
        "feature": [f.name for f in spec.features],
        "type": [f.type + (f" {f.collection_type}" if f.collection_type else "") for f in spec.features],
        "role": [roles.get(f.name, "") for f in spec.features],
    })


def render_group_detail(group: FeatureGroup, statistics: list[dict[str, Any]], *, counts_known: bool, key: str) -> bool:
    """Definitions with types, description, tags, statistics and the offline table; True when "Query it" is pressed."""
    spec = group.spec
    st.markdown(f"**{group.name}** · {spec.description or 'no description'}")
    records, last_write = written(group, statistics, counts_known)
    cols = st.columns(4)
    cols[0].metric("Records written", records)
    cols[1].metric("Last write", last_write)
    cols[2].metric("Stores", stores(group))
    cols[3].metric("Status", group.status)
    if spec.tags:
        st.caption("Tags: " + ", ".join(f"`{k}={v}`" for k, v in sorted(spec.tags.items())))
    st.dataframe(definitions_frame(group), hide_index=True, width="stretch", key=f"{key}.definitions")
    if statistics:
        st.markdown("**Statistics** (offline store)")
        st.dataframe(statistics_frame(statistics), hide_index=True, width="stretch", key=f"{key}.statistics")
    if not group.offline_table:
        st.caption("No offline store: nothing to query or build datasets from.")
        return False
    left, right = st.columns([4, 1])
    left.info(f"Offline store: **{group.offline_table}** — every write, with `write_time`, `api_invocation_time` and "
              "`is_deleted`. Query it on the Query page.", icon=":material/database:")
    return right.button("Query it", icon=":material/terminal:", key=f"{key}.query")


def statistics_frame(statistics: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per feature; min/max hold numbers for some features and text for others, so they are shown as text."""
    frame = pd.DataFrame(statistics).drop(columns=["last_written_at", "collection_type"], errors="ignore")
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = [_statistic(v) for v in frame[column]]
    return frame


def _statistic(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # min/max come back as doubles: an Integral's 1.0 reads as 1
    return _shown(value)


def render_ingest_form(kind: str, tables: list[str], *, key: str, table_key: str, sql_key: str) -> IngestChoice | None:
    """The source of ``kind`` (table | sql | file) in a form; the choice when submitted."""
    with st.form(f"{key}.form", enter_to_submit=True):
        upload = None
        if kind == "table":
            table = st.selectbox("Catalog table", tables, key=table_key) or ""
            source = IngestSource(table=table)
        elif kind == "sql":
            sql = st.text_area("SQL (Athena / Trino dialect)", key=sql_key, height=140,
                               placeholder="SELECT review_id, … FROM demo.reviews_sentiment")
            source = IngestSource(sql=sql.strip())
        else:
            upload = st.file_uploader("File (CSV, JSON lines or Parquet)", type=["csv", "json", "jsonl", "parquet"],
                                      key=f"{key}.upload")
            source = IngestSource()
        submitted = st.form_submit_button("Start ingestion", type="primary", icon=":material/upload:")
    return IngestChoice(source, upload) if submitted else None


def render_ingestion(job: Job) -> None:
    """An ingestion job: progress while it runs, then how many records went in and why others did not."""
    if not job.finished:
        fraction = float(job.result.get("progress") or 0.0)
        st.progress(min(1.0, fraction), text=job.result.get("progress_message") or f"Ingesting… ({job.status})")
        return
    if job.status != "Completed":
        st.error(f"Ingestion {job.name} {job.status.lower()}: {job.failure_reason or 'no reason given'}",
                 icon=":material/error:")
        return
    if "Ingested" not in job.result:  # a SageMaker Processing job: its counts are in its output (result.json)
        st.success(f"Ingestion job **{job.name}** completed. Its counts (`result.json`: Ingested, Failed, Errors) are "
                   "in the job's output on the Jobs page.", icon=":material/check_circle:")
        return
    ingested, failed = int(job.result["Ingested"]), int(job.result.get("Failed", 0))
    message = f"Ingested **{ingested:,}** records" + (f"; **{failed:,}** rows failed validation." if failed else ".")
    (st.warning if failed else st.success)(message, icon=":material/warning:" if failed else ":material/check_circle:")
    for line in job.result.get("Errors") or []:
        st.markdown(f"- {line}")


def render_lookup_form(group: FeatureGroup, *, key: str) -> tuple[str, tuple[str, ...]] | None:
    """A record identifier (and optionally some features); (record id, features) when submitted."""
    names = [f.name for f in group.spec.features]
    with st.form(f"{key}.form", enter_to_submit=True):
        left, right = st.columns([1, 2])
        record_id = left.text_input(f"Record identifier ({group.spec.record_identifier})", key=f"{key}.id")
        features = right.multiselect("Only these features (all when empty)", names, key=f"{key}.features")
        submitted = st.form_submit_button("Look up", type="primary", icon=":material/search:")
    return (record_id.strip(), tuple(features)) if submitted else None


def render_record(group: FeatureGroup, record_id: str, record: dict[str, Any] | None) -> None:
    """GetRecord's answer as a table, or why there is none."""
    if record is None:
        ttl = group.spec.ttl_seconds
        expired = f" or it expired ({ttl:,} s after its event time)" if ttl else ""
        st.info(f"No record **{record_id}** in the online store of {group.name}: none was ingested{expired}.",
                icon=":material/search_off:")
        return
    types = {f.name: f.type for f in group.spec.features}
    st.dataframe(pd.DataFrame({"feature": list(record), "value": [_shown(v) for v in record.values()],
                               "type": [types.get(name, "") for name in record]}),
                 hide_index=True, width="stretch")
    st.caption(f"[Link to this record](features?{urlencode({'group': group.name, 'record': record_id})})")


def _shown(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value[:8]) + (", …]" if len(value) > 8 else "]")
    return "" if value is None else str(value)


def guess(names: list[str], hints: tuple[str, ...]) -> int:
    """The index of the first name matching a hint (exactly, then as a part), else 0."""
    lowered = [n.lower() for n in names]
    for hint in hints:
        if hint in lowered:
            return lowered.index(hint)
    for hint in hints:
        found = next((i for i, n in enumerate(lowered) if hint in n), None)
        if found is not None:
            return found
    return 0


def identifier_hints(names: list[str]) -> tuple[str, ...]:
    return ("record_id", "id", *[n.lower() for n in names if n.lower().endswith("_id")])


def render_dataset_form(base_table: str, columns: list[Column], groups: list[str], *, key: str) -> DatasetRequest | None:
    """The builder's choices over ``base_table``, whose ``columns`` fill the pickers; the request when submitted."""
    names = [c.name for c in columns]
    with st.form(f"{key}.form", enter_to_submit=True):
        left, right = st.columns(2)
        identifier = left.selectbox("Record identifier column", names, index=guess(names, identifier_hints(names)),
                                    key=f"{key}.identifier")
        event_time = right.selectbox("Event time column", names, index=guess(names, TIME_HINTS), key=f"{key}.event_time")
        chosen = st.multiselect("Feature groups to join", groups, key=f"{key}.groups")
        left, middle, right = st.columns(3)
        as_of = left.text_input("As of (write time cutoff, ISO-8601)", key=f"{key}.as_of",
                                placeholder="2026-12-01T00:00:00Z — empty: every write",
                                help="Only records written at or before this time: the dataset as it looked then.")
        out_table = middle.text_input("Output table (database.table)", key=f"{key}.out_table",
                                      placeholder=f"{base_table}_dataset (when empty)")
        include_deleted = right.checkbox("Include deleted records", key=f"{key}.include_deleted",
                                         help="By default a record whose latest version is a delete marker gives nulls.")
        submitted = st.form_submit_button("Build dataset", type="primary", icon=":material/join:")
    if not submitted:
        return None
    return DatasetRequest(record_identifier=identifier or "", event_time=event_time or "", groups=tuple(chosen),
                          base_table=base_table, as_of=as_of.strip(), include_deleted=include_deleted,
                          out_table=out_table.strip() or f"{base_table}_dataset")


def leakage_words(result: DatasetResult) -> str:
    if not result.leaking_rows:
        return "**No leakage:** every joined feature was written at or before its row's event time."
    note = result.leakage_note or f"{result.leaking_rows:,} rows use features written after the row's event time."
    return (f"**Possible leakage:** a model trained on these rows learns from data that did not exist yet at the "
            f"row's event time. {note} (On this page: the **As of** field.)")


def render_dataset_result(result: DatasetResult, preview: pd.DataFrame | None, *, key: str) -> bool:
    """Rows, columns, a preview, the leakage check in words and the SQL; True when "Train on it" is pressed."""
    cols = st.columns([1, 1, 2])
    cols[0].metric("Rows", f"{result.rows:,}")
    cols[1].metric("Columns", len(result.columns))
    cols[2].markdown(f"Saved as  \n**{result.table or result.path}**")  # a long name would be cut short in a metric
    (st.warning if result.leaking_rows else st.success)(
        leakage_words(result), icon=":material/warning:" if result.leaking_rows else ":material/verified:")
    if preview is not None:
        st.dataframe(preview, hide_index=True, width="stretch", key=f"{key}.preview")
    with st.expander("The SQL the builder ran", icon=":material/code:"):
        st.code(result.sql, language="sql")
    return bool(result.table) and st.button("Train on it", icon=":material/model_training:", key=f"{key}.train")


def definitions_editor_frame(definitions: list[FeatureDefinition]) -> pd.DataFrame:
    return pd.DataFrame({"feature": [d.name for d in definitions], "type": [d.type for d in definitions],
                         "collection": [d.collection_type for d in definitions]})


def render_create_form(source: str, definitions: list[FeatureDefinition], *, key: str) -> FeatureGroupSpec | None:
    """A new group from a table's inferred definitions (each type editable); the spec when submitted."""
    names = [d.name for d in definitions]
    with st.form(f"{key}.form", enter_to_submit=True):
        left, right = st.columns(2)
        name = left.text_input("Feature group name", value=source.split(".")[-1].replace("_", "-"), key=f"{key}.name")
        description = right.text_input("Description", key=f"{key}.description")
        left, right = st.columns(2)
        identifier = left.selectbox("Record identifier", names, index=guess(names, identifier_hints(names)),
                                    key=f"{key}.identifier")
        event_time = right.selectbox("Event time (ISO-8601 text or epoch seconds)", names,
                                     index=guess(names, TIME_HINTS), key=f"{key}.event_time")
        edited = st.data_editor(
            definitions_editor_frame(definitions), key=f"{key}.definitions", hide_index=True, num_rows="fixed",
            disabled=["feature", "collection"], width="stretch",
            column_config={"type": st.column_config.SelectboxColumn("type", options=list(FEATURE_TYPES), required=True)})
        cols = st.columns(4)
        online = cols[0].toggle("Online store", value=True, key=f"{key}.online")
        offline = cols[1].toggle("Offline store", value=True, key=f"{key}.offline")
        ttl = cols[2].number_input("Online TTL (seconds, 0 = never)", 0, 10 * 365 * 86_400, 0, key=f"{key}.ttl")
        tags = cols[3].text_input("Tags (key=value, comma-separated)", key=f"{key}.tags")
        submitted = st.form_submit_button("Create feature group", type="primary", icon=":material/add:")
    if not submitted:
        return None
    types = dict(zip(edited["feature"], edited["type"], strict=True))
    features = tuple(FeatureDefinition(d.name, str(types.get(d.name) or d.type), d.collection_type, d.dimension)
                     for d in definitions)
    return FeatureGroupSpec(name=name.strip(), record_identifier=identifier or "", event_time=event_time or "",
                            features=features, description=description.strip(), tags=parse_tags(tags),
                            online=online, offline=offline, ttl_seconds=int(ttl) or None)


def parse_tags(text: str) -> dict[str, str]:
    pairs = (part.split("=", 1) for part in text.split(",") if part.strip())
    return {key.strip(): (rest[0].strip() if rest else "") for key, *rest in pairs}

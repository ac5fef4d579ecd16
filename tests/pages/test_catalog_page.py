from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.helpers.pages import frame_with, open_page, texts


def pick_table(app: AppTest, name: str) -> AppTest:
    app.selectbox(key="catalog.database").select("demo").run()
    app.selectbox(key="catalog.table").select(name).run()
    assert not app.exception, app.exception
    return app


def test_catalog_shows_schema_with_original_headers_and_samples(app: AppTest) -> None:
    pick_table(open_page(app, "catalog"), "reviews")
    assert "demo.reviews" in texts(app.subheader)
    schema = frame_with(app, "comment (original header)")
    assert list(schema["column"])[:3] == ["clothing_id", "age", "title"]
    assert "Review Text" in set(schema["comment (original header)"])
    sample = frame_with(app, "review_text")
    assert len(sample) == 20 and "review_text" in sample.columns


def test_catalog_lists_partitions_and_hands_a_partition_to_the_query_page(app: AppTest) -> None:
    pick_table(open_page(app, "catalog"), "reviews_by_division")
    partitions = frame_with(app, "partition")
    assert list(partitions["partition"]) == ["division=General", "division=General Petite", "division=Initmates"]
    assert all(partitions["files"] == 1)
    app.selectbox(key="catalog.partitions.pick").select("division=Initmates").run()
    app.button(key="catalog.preview").click().run()
    assert [t.value for t in app.title] == ["Query"]
    assert "\"division\" = 'Initmates'" in app.text_area(key="query.sql").value


def test_query_this_table_fills_the_editor(app: AppTest) -> None:
    pick_table(open_page(app, "catalog"), "wine")
    app.button(key="catalog.query_table").click().run()
    assert [t.value for t in app.title] == ["Query"]
    assert 'FROM "demo"."wine"' in app.text_area(key="query.sql").value


def test_check_for_bias_opens_the_bias_page_on_the_table(app: AppTest) -> None:
    pick_table(open_page(app, "catalog"), "wine")
    app.button(key="catalog.bias").click().run()
    assert [t.value for t in app.title] == ["Bias"]
    assert app.selectbox(key="bias.table").value == "wine"
    assert "target" in app.selectbox(key="bias.label").options


def test_import_a_csv_from_a_path_selects_the_new_table(app: AppTest, tmp_path: Path) -> None:
    source = tmp_path / "Sales Data.csv"
    source.write_text("Order ID,Amount ($),\n1,9.5,x\n2,3.25,y\n")
    open_page(app, "catalog")
    app.text_input(key="catalog.import.path").input(str(source))
    app.text_input(key="catalog.import.database").input("sales")
    app.button(key="FormSubmitter:catalog.import-Import").click().run()
    assert not app.exception
    assert "Imported sales.sales_data: 2 rows" in texts(app.success)
    schema = frame_with(app, "comment (original header)")
    assert list(schema["column"]) == ["order_id", "amount_", "col2"]
    assert list(schema["type"]) == ["bigint", "double", "string"]


def test_import_of_a_ragged_csv_explains_and_keeps_the_catalog(app: AppTest, tmp_path: Path) -> None:
    source = tmp_path / "ragged.csv"
    source.write_text("a,b\n1,2\n3,4,5\n")
    open_page(app, "catalog")
    app.text_input(key="catalog.import.path").input(str(source))
    app.text_input(key="catalog.import.database").input("demo")
    app.text_input(key="catalog.import.table").input("reviews")
    app.button(key="FormSubmitter:catalog.import-Import").click().run()
    assert not app.exception
    assert "wrong number of fields" in texts(app.error)
    assert app.text_input(key="catalog.import.path").value == str(source)  # the form keeps its values
    pick_table(app, "reviews")
    assert len(frame_with(app, "review_text")) == 20  # the old table still works


def test_import_with_nothing_chosen_says_what_to_do(app: AppTest) -> None:
    open_page(app, "catalog")
    app.button(key="FormSubmitter:catalog.import-Import").click().run()
    assert "Nothing to import" in texts(app.error)


def test_crawl_a_lake_folder_creates_tables(app: AppTest, workspace: Path) -> None:
    folder = workspace / "lake" / "workbench-lake" / "landing" / "events"
    folder.mkdir(parents=True)
    (folder / "part-1.jsonl").write_text('{"id": 1, "kind": "click"}\n{"id": 2, "kind": "view"}\n')
    open_page(app, "catalog")
    app.text_input(key="catalog.crawl.location").input("s3://workbench-lake/landing/")
    app.text_input(key="catalog.crawl.database").input("landing")
    app.button(key="FormSubmitter:catalog.crawl-Run crawler").click().run()
    assert not app.exception
    assert "1 created" in texts(app.success)


def test_crawl_outside_the_lake_is_refused(app: AppTest) -> None:
    open_page(app, "catalog")
    app.text_input(key="catalog.crawl.location").input("/etc/")
    app.button(key="FormSubmitter:catalog.crawl-Run crawler").click().run()
    assert not app.exception
    assert "outside the lake" in texts(app.error)


def test_versions_tab_shows_the_rows_a_replaced_version_keeps(app: AppTest, workspace: Path, tmp_path: Path) -> None:
    from services.registry import build_services
    from tests.helpers.workspace import close_services, settings_for_tests

    services = build_services(settings_for_tests(home=workspace, seed_on_start=False))
    for name, text in (("v1.csv", "id,word\n1,before\n"), ("v2.csv", "id,word,extra\n2,after,x\n")):
        (tmp_path / name).write_text(text)
        services.catalog.import_path(tmp_path / name, "demo", "words")
    close_services(services)
    pick_table(open_page(app, "catalog"), "words")
    app.toggle(key="catalog.versions.show_rows").set_value(True).run()
    assert not app.exception
    words = [e.value["word"].tolist() for e in app.dataframe if "word" in e.value.columns]
    assert ["before"] in words and ["after"] in words  # version 1's rows beside the current sample

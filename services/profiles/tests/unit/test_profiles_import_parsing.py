"""Reading an org snapshot (CSV or JSON): every row checked, every problem named by its row.

Rows are numbered as in the file (CSV: 1 = the first row after the header; JSON: the index
in `employees`), and one bad row rejects the whole file."""

import csv
import io
import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from profiles.domain.org_snapshot import (
    COLUMNS,
    InvalidSnapshot,
    OrgSnapshot,
    parse_csv,
    parse_json,
)

HEADER = "externalId,email,displayName,title,timeZone,level,managerExternalId,languages"


def good_row(number: int) -> str:
    return f"E{number},p{number}@example.com,Person {number},Engineer,Europe/Paris,3,,en;fr"


def csv_of(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def errors_of(text: str, parse: Any = parse_csv) -> dict[str | None, str]:
    with pytest.raises(InvalidSnapshot) as caught:
        parse(text)
    return {error.field: error.message for error in caught.value.errors}


def test_a_csv_row_becomes_an_employee_with_the_header_fields_set() -> None:
    snapshot = parse_csv(
        csv_of(
            'E1,Ann@Example.com,"Lee, Ann",VP,Europe/Berlin,8,,en; de',
            "E2,bob@example.com,Bob,,,,E1,",
        )
    )
    first, second = (row.employee for row in snapshot.rows)
    assert [row.where for row in snapshot.rows] == ["rows.1", "rows.2"]
    assert first.external_id == "E1"
    assert first.display_name == "Lee, Ann"  # quoted cells keep their commas
    assert first.title == "VP"
    assert first.time_zone == "Europe/Berlin"
    assert first.level == 8
    assert first.languages == ["en", "de"]
    assert first.manager_external_id is None
    # Empty cells are nulls, and a column in the header is set even when empty (it clears).
    assert second.title is None and second.level is None and second.languages is None
    assert second.manager_external_id == "E1"
    assert second.model_fields_set == {
        "external_id",
        "email",
        "display_name",
        "title",
        "time_zone",
        "level",
        "manager_external_id",
        "languages",
    }


def test_columns_absent_from_the_header_are_left_alone() -> None:
    (row,) = parse_csv("externalId,email,displayName\nE1,a@example.com,A\n").rows
    assert row.employee.model_fields_set == {"external_id", "email", "display_name"}


def test_spaces_around_names_and_cells_do_not_matter() -> None:
    (row,) = parse_csv(" externalId , email,displayName\n E1 , a@example.com ,A\n").rows
    assert row.employee.external_id == "E1"
    assert row.employee.email == "a@example.com"


def test_blank_lines_are_skipped_but_keep_the_numbering() -> None:
    snapshot = parse_csv(csv_of(good_row(1), "", good_row(3)))
    assert [row.where for row in snapshot.rows] == ["rows.1", "rows.3"]


def test_every_column_cairn_imports_is_read() -> None:
    values = {
        "externalId": "E1",
        "email": "a@example.com",
        "displayName": "Ann Lee",
        "givenName": "Ann",
        "familyName": "Lee",
        "title": "Engineer",
        "department": "Platform",
        "location": "Lyon",
        "timeZone": "Europe/Paris",
        "level": "4",
        "managerExternalId": "E0",
        "hireDate": "2021-03-04",
        "languages": "fr;en",
    }
    assert set(values) == set(COLUMNS)
    (row,) = parse_csv(csv_of(",".join(values.values()), header=",".join(values))).rows
    employee = row.employee
    assert (employee.given_name, employee.family_name) == ("Ann", "Lee")
    assert (employee.department, employee.location) == ("Platform", "Lyon")
    assert employee.hire_date == date(2021, 3, 4)
    assert employee.languages == ["fr", "en"]


@settings(max_examples=50, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=30),
    data=st.data(),
)
def test_bad_rows_are_named_by_their_number_in_the_file(size: int, data: st.DataObject) -> None:
    bad_email = data.draw(st.integers(min_value=1, max_value=size), label="bad email row")
    bad_zone = data.draw(st.integers(min_value=1, max_value=size), label="bad zone row")
    rows = []
    for number in range(1, size + 1):
        email = "not-an-email" if number == bad_email else f"p{number}@example.com"
        zone = "Mars/Olympus" if number == bad_zone else "UTC"
        rows.append(f"E{number},{email},P,,{zone},,,")
    errors = errors_of(csv_of(*rows))
    assert set(errors) == {f"rows.{bad_email}.email", f"rows.{bad_zone}.timeZone"}
    assert "email" in errors[f"rows.{bad_email}.email"]
    assert "Mars/Olympus" in errors[f"rows.{bad_zone}.timeZone"]


def test_all_problems_of_a_file_come_at_once_in_file_order() -> None:
    with pytest.raises(InvalidSnapshot) as caught:
        parse_csv(
            csv_of(
                good_row(1),
                "E2,,Bob,,UTC,,,",  # no email
                "E3,c@example.com,,,UTC,high,,",  # no name, level not a number
                "E4,d@example.com,Dee",  # too few cells
            )
        )
    assert [error.field for error in caught.value.errors] == [
        "rows.2.email",
        "rows.3.displayName",
        "rows.3.level",
        "rows.4",
    ]
    assert caught.value.errors[0].message == "is required"
    assert caught.value.errors[3].message == "has 3 cells, the header 8"


def test_a_duplicate_external_id_names_both_rows() -> None:
    errors = errors_of(csv_of(good_row(1), good_row(2), good_row(1)))
    assert errors == {"rows.3.externalId": "'E1' is also at rows.1"}


def test_the_header_must_name_known_columns_once_and_the_required_ones() -> None:
    errors = errors_of("externalId,email,emial,email,underrepresented\nE1,a@example.com,,,\n")
    assert set(errors) == {
        "header.emial",
        "header.email",
        "header.underrepresented",
        "header.displayName",
    }
    assert errors["header.email"] == "appears twice"
    assert errors["header.displayName"] == "is required"
    assert "is not a field Cairn imports" in errors["header.underrepresented"]


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("", "header", "the file is empty"),
        (HEADER + "\n", "rows", "the snapshot lists no one"),
        (HEADER + "\n\n\n", "rows", "the snapshot lists no one"),
    ],
)
def test_an_empty_snapshot_is_refused(text: str, field: str, message: str) -> None:
    assert errors_of(text) == {field: message}


def test_json_rows_are_named_by_their_index() -> None:
    body = {
        "employees": [
            {"externalId": "E1", "email": "a@example.com", "displayName": "A"},
            {"externalId": "E2", "email": "b@example", "displayName": "B", "level": 200},
            "E3",
            {"externalId": "E4", "email": "d@example.com", "displayName": "D", "titel": "x"},
            {"externalId": "E1", "email": "e@example.com", "displayName": None},
        ]
    }
    errors = errors_of(json.dumps(body), parse_json)
    assert list(errors) == [
        "employees.1.email",
        "employees.1.level",
        "employees.2",
        "employees.3.titel",
        "employees.4.displayName",
        "employees.4.externalId",
    ]
    assert errors["employees.2"] == "must be an object"
    assert errors["employees.4.externalId"] == "'E1' is also at employees.0"


def test_json_keys_absent_stay_unset_and_nulls_clear() -> None:
    body = {"employees": [{"externalId": "E1", "email": "a@example.com", "displayName": "A"}]}
    body["employees"][0]["title"] = None
    (row,) = parse_json(json.dumps(body)).rows
    assert row.where == "employees.0"
    assert row.employee.model_fields_set == {"external_id", "email", "display_name", "title"}


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("{not json", None),
        ("[]", "employees"),
        ('{"people": []}', "employees"),
        ('{"employees": []}', "employees"),
    ],
)
def test_json_that_is_not_a_snapshot_is_refused(text: str, field: str | None) -> None:
    assert list(errors_of(text, parse_json)) == [field]


# --- CSV and JSON say the same thing -------------------------------------------------------

names = (
    st.text(
        alphabet=st.characters(categories=("L", "N"), include_characters=' ,"-'),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(bool)
)
zones = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"])
languages = st.lists(st.sampled_from(["en", "de", "fr", "ja"]), min_size=1, max_size=3)


@st.composite
def employees(draw: st.DrawFn) -> list[dict[str, Any]]:
    size = draw(st.integers(min_value=1, max_value=12))
    out = []
    for index in range(size):
        out.append(
            {
                "externalId": f"E{index}",
                "email": f"p{index}@example.com",
                "displayName": draw(names),
                "title": draw(st.none() | names),
                "timeZone": draw(zones),
                "level": draw(st.none() | st.integers(min_value=0, max_value=100)),
                "managerExternalId": draw(
                    st.none() | st.sampled_from([f"E{i}" for i in range(size)])
                ),
                "hireDate": draw(st.none() | st.dates(date(1990, 1, 1), date(2030, 1, 1))),
                "languages": draw(st.none() | languages),
            }
        )
    return out


def as_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(rows[0])
    for row in rows:
        cells = []
        for value in row.values():
            if value is None:
                cells.append("")
            elif isinstance(value, list):
                cells.append(";".join(value))
            else:
                cells.append(str(value))
        writer.writerow(cells)
    return out.getvalue()


def as_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps({"employees": rows}, default=str)


def dumped(snapshot: OrgSnapshot) -> list[dict[str, Any]]:
    return [row.employee.model_dump(exclude_unset=True) for row in snapshot.rows]


@settings(max_examples=60, deadline=None)
@given(employees())
def test_a_csv_and_a_json_of_the_same_people_read_the_same(rows: list[dict[str, Any]]) -> None:
    from_csv = parse_csv(as_csv(rows))
    from_json = parse_json(as_json(rows))
    assert dumped(from_csv) == dumped(from_json)
    assert [r.employee.display_name for r in from_csv.rows] == [r["displayName"] for r in rows]

"""web/errors: what the services raise, as sentences a person reads in the page's language."""

from __future__ import annotations

import re
from typing import Literal

import pytest
from fastapi import HTTPException
from minilok_meetings.web.errors import MESSAGES, describe, field_errors
from minilok_shared.errors import conflict, forbidden, not_found, unprocessable
from pydantic import BaseModel, Field, HttpUrl, TypeAdapter, ValidationError, field_validator

RAW = ("loc", "[", "{", "_id", "value_error", "Input should", "Value error", "422")


class Form(BaseModel):
    title: str = Field(min_length=1, max_length=10)
    supporting_agency_ids: list[int] = Field(min_length=1)
    target: HttpUrl
    priority: Literal["low", "normal", "high"]
    percent: int = Field(ge=0, le=100)

    @field_validator("title")
    @classmethod
    def no_shouting(cls, value: str) -> str:
        if value.isupper():
            raise ValueError("judul jangan huruf besar semua / the title must not be all capitals")
        return value


def _errors(**data) -> ValidationError:
    body = {"title": "Rapat", "supporting_agency_ids": [1], "target": "https://x.org", "priority": "low",
            "percent": 1, **data}
    with pytest.raises(ValidationError) as caught:
        Form.model_validate(body)
    return caught.value


def test_every_message_has_both_languages_and_no_code():
    for code, (indonesian, english) in MESSAGES.items():
        assert indonesian and english, code
        for text in (indonesian, english):
            assert "_" not in re.sub(r"\{\w+\}", "", text), code


@pytest.mark.parametrize("data,field,indonesian,english", [
    ({"supporting_agency_ids": []}, "supporting_agency_ids", "pilih paling sedikit 1", "choose at least 1"),
    ({"target": "nope"}, "target", "bukan alamat web yang valid", "is not a valid web address"),
    ({"priority": "urgent"}, "priority", "pilih salah satu dari daftar", "choose one from the list"),
    ({"percent": 120}, "percent", "paling besar 100", "must be at most 100"),
    ({"percent": "x"}, "percent", "harus berupa angka bulat", "must be a whole number"),
    ({"title": ""}, "title", "wajib diisi", "is required"),
    ({"title": "RAPAT"}, "title", "judul jangan huruf besar semua", "the title must not be all capitals"),
])
def test_pydantic_errors_in_both_languages(data, field, indonesian, english):
    exc = _errors(**data)
    assert field_errors(exc, "id")[field].startswith(indonesian)
    assert field_errors(exc, "en")[field].startswith(english)


def test_describe_names_the_field_in_words_never_the_code():
    exc = _errors(supporting_agency_ids=[], target="nope")
    text = describe(exc, "id")
    assert text.startswith("Lembaga pendukung: pilih paling sedikit 1")
    assert "Tujuan: bukan alamat web" in text
    assert describe(exc, "en").startswith("Supporting agencies: choose at least 1")
    assert describe(exc, "id", {"target": "Alamat webhook"}).endswith("Alamat webhook: bukan alamat web yang valid "
                                                                      "(mis. https://contoh.go.id/kabar)")
    for raw in RAW:
        assert raw not in text and raw not in describe(exc, "en")


def test_json_that_cannot_be_read():
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(dict).validate_json("{x")
    assert describe(caught.value, "id") == "Isian tidak terbaca, kirim ulang formulir"


def test_service_errors_take_the_page_language():
    exc = unprocessable("owner_agency_id", "lembaga 9 bukan milik puskesmas ini / agency 9 is not of this puskesmas")
    assert describe(exc, "id") == "Penanggung jawab: lembaga 9 bukan milik puskesmas ini"
    assert describe(exc, "en") == "Owner: agency 9 is not of this puskesmas"
    assert describe(forbidden(), "id") == "Tidak diizinkan"
    assert describe(forbidden(), "en") == "Not allowed"


def test_not_found_reads_as_a_sentence():
    exc = not_found("Tindak lanjut / follow-up", 17)
    assert describe(exc, "id") == "Tindak lanjut tidak ditemukan"
    assert describe(exc, "en") == "Follow-up was not found"
    assert describe(not_found("Puskesmas", 3), "en") == "Puskesmas was not found"


def test_status_codes_in_a_message_become_words():
    exc = conflict("Usulan 5 sudah accepted / proposal is already accepted")
    assert describe(exc, "id") == "Usulan 5 sudah diterima"
    assert describe(exc, "en") == "Proposal is already accepted"
    exc = conflict("Tindak lanjut berstatus in_progress; bukti hanya untuk yang aktif / only active ones")
    assert "in_progress" not in describe(exc, "id") and "berstatus dikerjakan" in describe(exc, "id")


def test_a_list_of_allowed_codes_is_not_shown():
    exc = unprocessable("status", "harus salah satu dari / must be one of open, in_progress, done", "query")
    assert describe(exc, "id") == "Status: pilih salah satu dari daftar"
    assert describe(exc, "en") == "Status: choose one from the list"


def test_another_services_detail_and_an_unknown_field():
    detail = [{"loc": ["body", "target"], "msg": "Value error, nomor telepon tidak valid, tulis mis. 0812 3456 "
               "7890 / invalid phone number, write e.g. +62 812 3456 7890", "type": "value_error"},
              {"loc": ["body", "mystery_code"], "msg": "Field required", "type": "missing"}]
    assert describe(detail, "id") == "Tujuan: nomor telepon tidak valid, tulis mis. 0812 3456 7890; wajib diisi"
    assert describe(detail, "en").startswith("Target: invalid phone number")
    assert describe(HTTPException(400, ""), "id") == "Isian belum bisa disimpan."

"""`make demo`: the demo of shared/domain.md, loaded through the public HTTP APIs of a running
system (`make run` in another terminal), then the dashboard URL and demo sign-in tokens.

The puskesmas, agencies, meetings and follow-ups are those named in the source articles (Baloi
Permai in Batam, Baru Tengah in Balikpapan, Balongbendo in Sidoarjo); the area codes are
plausible, and the indicator values are generated, plausible and labelled synthetic. Several
follow-ups are already past due, so the scheduler marks them overdue and escalates them.

Run it again and it finds what is already there (by puskesmas code) instead of adding twice.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import httpx

from minilok_shared.auth import create_token
from minilok_shared.config import CommonSettings


def url(service: str, port: int) -> str:
    explicit = os.environ.get(f"{service.upper()}_URL")
    if explicit:
        return explicit.rstrip("/")
    host = os.environ.get(f"{service.upper()}_HOST", "127.0.0.1")
    return f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{os.environ.get(f'{service.upper()}_PORT', port)}"


class Api:
    def __init__(self, base: str, token: str):
        self.client = httpx.Client(base_url=f"{base}/api/v1", timeout=30,
                                   headers={"Authorization": f"Bearer {token}"})

    def call(self, method: str, path: str, expect: tuple[int, ...] = (200, 201), **kwargs):
        response = self.client.request(method, path, **kwargs)
        if response.status_code not in expect:
            raise SystemExit(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None


# --- the three puskesmas of the articles -------------------------------------------------------
# Agencies: (key, name, kind, parent key or None, contacts). The parent is where an overdue
# follow-up escalates next; a "puskesmas" agency under the "dinas_kesehatan" is the last step.

PUSKESMAS = [
    {
        "key": "baloi", "code": "P2171060201", "name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta",
        "area_code": "21.71.06", "kota": "Kota Batam", "provinsi": "Kepulauan Riau",
        "agencies": [
            ("dinkes", "Dinas Kesehatan Kota Batam", "dinas_kesehatan", None, []),
            ("pkm", "Puskesmas Baloi Permai", "puskesmas", "dinkes", []),
            ("pemko", "Pemerintah Kota Batam", "other", None, []),
            ("kec", "Kecamatan Batam Kota", "kecamatan", "pemko", []),
            ("kel_baloi", "Kelurahan Baloi Permai", "kelurahan", "kec", []),
            ("kel_sukajadi", "Kelurahan Sukajadi", "kelurahan", "kec", []),
            ("pkk", "TP PKK Kecamatan Batam Kota", "pkk", "kec", []),
            ("pokjanal", "Pokjanal Posyandu Kecamatan Batam Kota", "other", "kec", []),
            ("dinsos", "Dinas Sosial Kota Batam", "dinas_sosial", None, []),
            ("dinaspp", "Dinas Pemberdayaan Perempuan dan KB Kota Batam", "dinas_pp", None, []),
            ("bpjs", "BPJS Kesehatan Cabang Batam", "bpjs", None, []),
            ("pos_mawar_x", "Posyandu Mawar X", "posyandu", "pkm", []),
            ("pos_mawar_12", "Posyandu Mawar 12", "posyandu", "pkm", []),
            ("pos_pelangi", "Posyandu Pelangi Aspol Sukajadi", "posyandu", "pkm", []),
            ("kader", "Kader Posyandu Mawar X", "kader", "pos_mawar_x", []),
        ],
        "meetings": [{
            "kind": "quarterly_cross_sector", "title": "Lokakarya Mini Tribulanan Lintas Sektor Triwulan I 2026",
            "scheduled_at": "2026-02-18T09:00:00+07:00", "location": "Aula Puskesmas Baloi Permai",
            "agenda": [
                ("Laporan Standar Pelayanan Minimal (SPM) Tahun 2025", "pkm", None),
                ("Situasi DBD: kasus terbanyak di Hang Tuah, Mediterania dan Bida Asri", "pkm", "DBD_IR"),
                ("SPPG: posyandu belum mendapat MBG (Mawar X, Mawar 12, Pelangi Aspol Sukajadi)", "pkm", None),
                ("Restoran dan rumah makan ber-Sertifikat Laik Higiene Sanitasi (SLHS)", "pkm", "SLHS"),
                ("Inovasi SI WALI PATEN (Sistem WhatsApp Peduli Pasien Hipertensi)", "pkm", "SPM_HIPERTENSI"),
                ("Aktivasi dan reaktivasi kepesertaan BPJS pasien penyakit kronis", "dinsos", None),
                ("Layanan kunjungan rumah bagi warga dengan keterbatasan mobilitas", "pkm", None),
                ("Rencana pelayanan KB 2026 dan dukungan operasional kader", "dinaspp", None),
            ],
            "attendance": [("kec", "Camat Batam Kota", "Camat"), ("pkm", "Kepala Puskesmas Baloi Permai", "Kepala"),
                           ("dinsos", "Perwakilan Dinas Sosial", None), ("dinaspp", "Perwakilan Dinas PP", None),
                           ("kel_baloi", "Lurah Baloi Permai", "Lurah"), ("pkk", "Ketua TP PKK Kecamatan", None)],
            "summary": "Koordinasi lintas sektor Triwulan I 2026: capaian SPM 2025, situasi DBD, posyandu yang belum "
                       "mendapat MBG, SLHS rumah makan, SI WALI PATEN, kepesertaan BPJS pasien kronis, kunjungan rumah "
                       "dan pelayanan KB 2026.",
            "decisions": ["PSN 3M Plus serentak di wilayah kasus DBD terbanyak",
                          "Usulkan tiga posyandu yang belum terlayani ke program MBG",
                          "Dinas Sosial memfasilitasi aktivasi BPJS pasien kronis"],
            "publish": True,
            "followups": [
                {"title": "PSN 3M Plus dan pemantauan jentik di Hang Tuah, Mediterania dan Bida Asri",
                 "owner": "kec", "support": ["pkm", "pkk"], "due_date": "2026-03-31", "priority": "high",
                 "problem": "Kasus DBD terbanyak di tiga perumahan", "indicator_code": "DBD_IR"},
                {"title": "Usulkan Posyandu Mawar X, Mawar 12 dan Pelangi Aspol Sukajadi ke layanan MBG (SPPG)",
                 "owner": "pokjanal", "support": ["kel_baloi", "kel_sukajadi"], "due_date": "2026-04-30"},
                {"title": "Aktivasi dan reaktivasi BPJS bagi pasien penyakit kronis",
                 "owner": "dinsos", "support": ["bpjs", "pkm"], "due_in_working_days": 10},
                {"title": "Rancang layanan kunjungan rumah bagi warga dengan keterbatasan mobilitas",
                 "owner": "pkm", "support": ["kel_baloi"], "due_in_working_days": 1},
                {"title": "Dukungan operasional kader untuk menjangkau akseptor KB 2026",
                 "owner": "dinaspp", "support": ["pkk", "kader"], "due_in_working_days": 20,
                 "progress": ("Rencana anggaran operasional kader disusun", 40)},
                {"title": "Pendataan rumah makan yang belum memiliki SLHS", "owner": "pkm", "support": [],
                 "due_date": "2026-03-15", "complete": "Daftar rumah makan tanpa SLHS dikirim ke Dinkes"},
            ],
        }, {
            "kind": "monthly_internal", "title": "Lokakarya Mini Bulanan Desember 2026", "days_ahead": 14,
            "location": "Aula Puskesmas Baloi Permai", "agenda": [("Evaluasi RTL Triwulan I", "pkm", None)],
        }],
    },
    {
        "key": "baru", "code": "P6471010201", "name": "Puskesmas Baru Tengah", "timezone": "Asia/Makassar",
        "area_code": "64.71.01", "kota": "Kota Balikpapan", "provinsi": "Kalimantan Timur",
        "head_name": "drg. Rulida Osma Marisya",
        "agencies": [
            ("dinkes", "Dinas Kesehatan Kota Balikpapan", "dinas_kesehatan", None, []),
            ("pkm", "Puskesmas Baru Tengah", "puskesmas", "dinkes", [{"name": "drg. Rulida Osma Marisya",
                                                                      "role": "Kepala Puskesmas"}]),
            ("pemko", "Pemerintah Kota Balikpapan", "other", None, []),
            ("kec", "Kecamatan Balikpapan Barat", "kecamatan", "pemko", []),
            ("kel", "Kelurahan Baru Tengah", "kelurahan", "kec", []),
            ("pkk", "TP PKK Kelurahan Baru Tengah", "pkk", "kel", []),
            ("lpm", "LPM Kelurahan Baru Tengah", "lpm", "kel", []),
            ("rt", "Forum Ketua RT Kelurahan Baru Tengah", "rt", "kel", []),
            ("koramil", "Koramil Balikpapan Barat", "koramil", None, []),
            ("babinsa", "Babinsa Kelurahan Baru Tengah", "babinsa", "koramil", []),
            ("polsek", "Polsek Balikpapan Barat", "polsek", None, []),
            ("bhabin", "Bhabinkamtibmas Kelurahan Baru Tengah", "bhabinkamtibmas", "polsek", []),
            ("sekolah", "Sekolah di wilayah Baru Tengah (UKS)", "sekolah", "kel", []),
            ("kader", "Kader Kesehatan Baru Tengah", "kader", "pkm", []),
            ("csr", "Mitra CSR Balikpapan", "csr", None, []),
        ],
        "meetings": [{
            "kind": "quarterly_cross_sector", "title": "Minilok Lintas Sektor Desember 2025",
            "scheduled_at": "2025-12-02T09:00:00+08:00", "location": "Puskesmas Baru Tengah",
            "agenda": [("Cakupan layanan kesehatan gratis di sekolah", "pkm", None),
                       ("Pengendalian dan pencegahan Tuberkulosis (TB)", "pkm", "TB_CNR"),
                       ("Status gizi bayi dan balita", "pkm", "POSYANDU_DS"),
                       ("Persiapan ORI Campak", "pkm", None)],
            "attendance": [("pkm", "drg. Rulida Osma Marisya", "Kepala Puskesmas"),
                           ("kec", "Perwakilan Kecamatan", None), ("kel", "Lurah Baru Tengah", "Lurah"),
                           ("pkk", "Ketua PKK", None), ("lpm", "Ketua LPM", None),
                           ("babinsa", "Babinsa", None), ("bhabin", "Bhabinkamtibmas", None),
                           ("rt", "Ketua RT", None), ("kader", "Kader kesehatan", None)],
            "summary": "Minilok lintas sektor: cek kesehatan gratis di sekolah, TB, gizi bayi dan balita, ORI campak. "
                       "Puskesmas penyedia layanan dan pembina teknis; kelurahan dukungan kebijakan; RT/RW pendataan; "
                       "PKK dan kader edukasi dan sweeping balita; Babinsa dan Bhabinkamtibmas mobilisasi.",
            "decisions": ["Cek kesehatan gratis di sekolah dengan pendaftaran dan skrining mandiri",
                          "Penemuan kasus aktif TB dan pelacakan kontak erat di RT dengan kasus tertinggi",
                          "Peningkatan D/S posyandu", "Optimalisasi CSR untuk apresiasi kader",
                          "ORI campak sesuai instruksi Dinas Kesehatan Kota"],
            "publish": True,
            "followups": [
                {"title": "Cek kesehatan gratis di sekolah (pendaftaran dan skrining mandiri oleh orang tua/siswa)",
                 "owner": "sekolah", "support": ["pkm"], "due_date": "2026-01-31"},
                {"title": "Penemuan kasus aktif TB dan pelacakan kontak erat di RT dengan kasus tertinggi",
                 "owner": "rt", "support": ["kader", "pkm"], "due_date": "2026-02-28", "priority": "high",
                 "indicator_code": "TB_CNR"},
                {"title": "Tingkatkan D/S posyandu untuk deteksi dini gizi bayi dan balita", "owner": "pkk",
                 "support": ["kader"], "due_in_working_days": 15, "indicator_code": "POSYANDU_DS",
                 "progress": ("Sweeping balita di dua RW", 60)},
                {"title": "Optimalkan CSR sebagai apresiasi bagi kader kesehatan", "owner": "lpm",
                 "support": ["csr", "kel"], "due_in_working_days": 25},
                {"title": "Pelaksanaan ORI campak sesuai instruksi Dinas Kesehatan Kota", "owner": "pkm",
                 "support": ["sekolah", "babinsa", "bhabin"], "due_date": "2026-01-15",
                 "complete": "ORI campak terlaksana di seluruh sekolah sasaran"},
            ],
        }],
    },
    {
        "key": "balong", "code": "P3515090201", "name": "Puskesmas Balongbendo", "timezone": "Asia/Jakarta",
        "area_code": "35.15.09", "kota": "Kabupaten Sidoarjo", "provinsi": "Jawa Timur",
        "agencies": [
            ("dinkes", "Dinas Kesehatan Kabupaten Sidoarjo", "dinas_kesehatan", None, []),
            ("pkm", "Puskesmas Balongbendo", "puskesmas", "dinkes", []),
            ("pemkab", "Pemerintah Kabupaten Sidoarjo", "other", None, []),
            ("kec", "Kecamatan Balongbendo", "kecamatan", "pemkab", []),
            ("desa", "Pemerintah Desa se-Kecamatan Balongbendo", "desa", "kec", []),
            ("kodim", "Kodim 0816/Sidoarjo", "other", None, []),
            ("koramil", "Koramil 0816/10 Balongbendo", "koramil", "kodim",
             [{"name": "Kapten Inf Hendro Sugiono, S.H.", "role": "Danramil"}]),
            ("babinsa", "Babinsa Desa Balongbendo", "babinsa", "koramil", []),
            ("polsek", "Polsek Balongbendo", "polsek", None, []),
            ("sekolah", "Sekolah se-Kecamatan Balongbendo", "sekolah", "kec", []),
            ("tokoh", "Tokoh agama Balongbendo", "tokoh_masyarakat", "kec", []),
            ("kader", "Kader Posyandu Balongbendo", "kader", "pkm", []),
        ],
        "meetings": [{
            "kind": "quarterly_cross_sector", "title": "Mini Lokakarya Puskesmas Balongbendo Tahun Anggaran 2025",
            "scheduled_at": "2025-11-25T09:00:00+07:00", "location": "Ruang pertemuan Puskesmas Balongbendo",
            "agenda": [("Capaian pelayanan dan program prioritas", "pkm", None),
                       ("Optimalisasi posyandu dan jadwal imunisasi", "pkm", "IDL"),
                       ("Penanganan gizi buruk dan deteksi dini PTM", "pkm", None),
                       ("Kesiapsiagaan kesehatan situasi darurat", "koramil", None)],
            "attendance": [("pkm", "Kepala Puskesmas Balongbendo", "Kepala"),
                           ("koramil", "Kapten Inf Hendro Sugiono, S.H.", "Danramil 0816/10"),
                           ("kec", "Perwakilan Kecamatan", None), ("polsek", "Perwakilan Polsek", None)],
            "summary": "Minilok TA 2025 dengan Koramil 0816/10: imunisasi, posyandu, stunting, edukasi gizi dan "
                       "kesiapsiagaan darurat di tingkat kecamatan.",
            "decisions": ["Penguatan koordinasi lintas sektor untuk jadwal imunisasi, posyandu dan gizi "
                          "ke seluruh desa",
                          "Pelibatan aparat desa, sekolah dan tokoh agama dalam kampanye kesehatan",
                          "Intervensi gizi dan edukasi bagi ibu hamil dan balita secara terkoordinasi",
                          "Mekanisme rujukan dan dukungan logistik bersama Koramil dan Polsek"],
            "publish": True,
            "followups": [
                {"title": "Jadwal imunisasi, posyandu dan layanan gizi tersampaikan merata ke seluruh desa",
                 "owner": "kec", "support": ["desa", "kader"], "due_date": "2025-12-31"},
                {"title": "Kampanye kesehatan bersama aparat desa, sekolah dan tokoh agama", "owner": "desa",
                 "support": ["sekolah", "tokoh"], "due_in_working_days": 12,
                 "progress": ("Materi kampanye disepakati dengan tokoh agama", 30)},
                {"title": "Intervensi gizi dan edukasi ibu hamil dan balita terkoordinasi antarinstansi",
                 "owner": "pkm", "support": ["desa", "kader"], "due_in_working_days": 30},
                {"title": "Mekanisme rujukan dan logistik kegawatdaruratan bersama Koramil dan Polsek",
                 "owner": "babinsa", "support": ["polsek", "pkm"], "due_date": "2026-01-31", "priority": "high"},
            ],
        }],
    },
]

# --- Batam areas and a synthetic year of indicator values --------------------------------------

BATAM_KECAMATAN = [("21.71.01", "Batu Ampar"), ("21.71.02", "Sekupang"), ("21.71.03", "Nongsa"),
                   ("21.71.04", "Lubuk Baja"), ("21.71.06", "Batam Kota"), ("21.71.07", "Bengkong")]
BATAM_KOTA_KELURAHAN = [("21.71.06.1001", "Baloi Permai"), ("21.71.06.1002", "Belian"),
                        ("21.71.06.1003", "Sukajadi"), ("21.71.06.1004", "Sungai Panas"),
                        ("21.71.06.1005", "Taman Baloi"), ("21.71.06.1006", "Teluk Tering")]
NAMED_POSYANDU = {"21.71.06.1001": ["Posyandu Mawar X", "Posyandu Mawar 12"],
                  "21.71.06.1003": ["Posyandu Pelangi Aspol Sukajadi"]}
# How well each kelurahan does on D/S: the named posyandu lag, as the article says of MBG.
LEVEL = {"21.71.06.1001": 0.66, "21.71.06.1002": 0.86, "21.71.06.1003": 0.71, "21.71.06.1004": 0.9,
         "21.71.06.1005": 0.83, "21.71.06.1006": 0.78}
# SPM ibu hamil (cumulative coverage of a yearly sasaran): how each kelurahan keeps pace with
# sasaran/12 a month. Two keep pace, two lag, one lags more and more, one catches up.
ANC_PACE = {"21.71.06.1001": (0.72, -0.01), "21.71.06.1002": (1.02, 0.0), "21.71.06.1003": (0.8, 0.02),
            "21.71.06.1004": (1.05, 0.0), "21.71.06.1005": (0.9, -0.02), "21.71.06.1006": (0.78, 0.03)}


def batam_areas() -> list[dict]:
    areas = [{"code": "21", "name": "Kepulauan Riau", "level": "provinsi"},
             {"code": "21.71", "name": "Kota Batam", "level": "kota", "parent_code": "21"}]
    areas += [{"code": code, "name": name, "level": "kecamatan", "parent_code": "21.71"}
              for code, name in BATAM_KECAMATAN]
    for code, name in BATAM_KOTA_KELURAHAN:
        areas.append({"code": code, "name": name, "level": "kelurahan", "parent_code": "21.71.06"})
        for index, posyandu in enumerate(NAMED_POSYANDU.get(code, []) or [f"Posyandu {name} 1", f"Posyandu {name} 2"]):
            areas.append({"code": f"{code}.P{index + 1:02d}", "name": posyandu, "level": "posyandu",
                          "parent_code": code})
    return areas


def last_twelve_months(today: date) -> list[str]:
    first = today.replace(day=1)
    months = []
    for _ in range(12):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(f"{first.year:04d}-{first.month:02d}")
    return months[::-1]


def synthetic_values(months: list[str]) -> list[dict]:
    """Plausible, seeded, SYNTHETIC: the same numbers on every run."""
    rng = random.Random(2026)
    leaves = [a for a in batam_areas() if a["level"] == "posyandu"]
    other_kecamatan = [code for code, _ in BATAM_KECAMATAN if code != "21.71.06"]
    rows = []
    for month_index, period in enumerate(months):
        drift = month_index * 0.004  # a slow improvement over the year
        for leaf in leaves:
            level = min(LEVEL[leaf["parent_code"]] + drift + rng.uniform(-0.05, 0.05), 0.98)
            registered = rng.randint(45, 95)
            rows.append({"indicator_code": "POSYANDU_DS", "area_code": leaf["code"], "period": period,
                         "numerator": round(registered * level), "denominator": registered})
        for code in other_kecamatan:
            registered = rng.randint(600, 1400)
            rows.append({"indicator_code": "POSYANDU_DS", "area_code": code, "period": period,
                         "numerator": round(registered * (0.74 + drift + rng.uniform(-0.06, 0.1))),
                         "denominator": registered})
        for code, _ in BATAM_KOTA_KELURAHAN + [(c, "") for c in other_kecamatan]:
            population = rng.randint(18000, 40000) if code.count(".") == 3 else rng.randint(90000, 200000)
            rainy = period[-2:] in ("11", "12", "01", "02", "03")
            hot = code in ("21.71.06.1002", "21.71.06.1005")  # Mediterania and Bida Asri lie here
            cases = rng.randint(0, 3) + (rng.randint(2, 6) if rainy else 0) + (rng.randint(2, 5) if hot else 0)
            rows.append({"indicator_code": "DBD_IR", "area_code": code, "period": period, "numerator": cases,
                         "denominator": population})
    rows += synthetic_antenatal_care(months)
    return rows


def synthetic_antenatal_care(months: list[str]) -> list[dict]:
    """SPM_BUMIL for Batam Kota's kelurahan, SYNTHETIC and seeded: each month serves about
    sasaran/12 x its pace (drifting month by month), so the PWS reads baik where a kelurahan keeps
    pace and cukup / jelek where it falls behind, not 8 % against 100 %."""
    rng = random.Random(1808)
    sasaran = {code: rng.randint(280, 620) for code, _ in BATAM_KOTA_KELURAHAN}
    rows = []
    for month_index, period in enumerate(months):
        for code, _ in BATAM_KOTA_KELURAHAN:
            pace, drift = ANC_PACE[code]
            served = sasaran[code] / 12 * max(0.3, pace + drift * month_index + rng.uniform(-0.06, 0.06))
            rows.append({"indicator_code": "SPM_BUMIL", "area_code": code, "period": period,
                         "numerator": round(served), "denominator": sasaran[code]})
    return rows


# --- loading -----------------------------------------------------------------------------------

def load_puskesmas(meetings: Api, spec: dict, today: date) -> dict:
    """Create one puskesmas with its agencies, meetings and follow-ups; or find it when present."""
    existing = {p["code"]: p for p in meetings.call("GET", "/puskesmas", params={"limit": 200})["items"]}
    if spec["code"] in existing:
        puskesmas = existing[spec["code"]]
        agencies = meetings.call("GET", "/agencies", params={"puskesmas_id": puskesmas["id"], "limit": 200})["items"]
        by_name = {a["name"]: a["id"] for a in agencies}
        return {"puskesmas": puskesmas, "agencies": {key: by_name.get(name) for key, name, *_ in spec["agencies"]},
                "created": False}
    fields = {k: spec[k] for k in ("code", "name", "timezone", "area_code", "kota", "provinsi", "head_name")
              if k in spec}
    puskesmas = meetings.call("POST", "/puskesmas", json=fields)
    ids: dict[str, int] = {}
    for key, name, kind, parent, contacts in spec["agencies"]:
        ids[key] = meetings.call("POST", "/agencies", json={
            "name": name, "kind": kind, "puskesmas_id": puskesmas["id"], "parent_id": ids.get(parent),
            "contacts": contacts})["id"]
    for meeting_spec in spec["meetings"]:
        load_meeting(meetings, puskesmas, ids, meeting_spec, today)
    return {"puskesmas": puskesmas, "agencies": ids, "created": True}


def load_meeting(meetings: Api, puskesmas: dict, ids: dict, spec: dict, today: date) -> None:
    scheduled_at = spec.get("scheduled_at")
    if scheduled_at is None:  # a meeting still to come, so that the dashboard has a "next meeting"
        offset = {"Asia/Jakarta": "+07:00", "Asia/Makassar": "+08:00", "Asia/Jayapura": "+09:00"}[puskesmas["timezone"]]
        scheduled_at = f"{today + timedelta(days=spec['days_ahead'])}T09:00:00{offset}"
    meeting = meetings.call("POST", "/meetings", json={
        "puskesmas_id": puskesmas["id"], "kind": spec["kind"], "title": spec["title"], "scheduled_at": scheduled_at,
        "location": spec.get("location")})
    mid = meeting["id"]
    for title, presenter, indicator in spec.get("agenda", []):
        meetings.call("POST", f"/meetings/{mid}/agenda", json={
            "title": title, "presenter_agency_id": ids.get(presenter), "indicator_code": indicator})
    if spec.get("attendance"):
        meetings.call("PUT", f"/meetings/{mid}/attendance", json=[
            {"agency_id": ids[agency], "person_name": person, "role": role, "present": True}
            for agency, person, role in spec["attendance"]])
    for f in spec.get("followups", []):
        body = {"title": f["title"], "owner_agency_id": ids[f["owner"]],
                "supporting_agency_ids": [ids[s] for s in f["support"]], "priority": f.get("priority", "normal")}
        for field in ("due_date", "due_in_working_days", "problem", "indicator_code"):
            if field in f:
                body[field] = f[field]
        created = meetings.call("POST", f"/meetings/{mid}/follow-ups", json=body)
        if "progress" in f:
            note, percent = f["progress"]
            meetings.call("POST", f"/follow-ups/{created['id']}/progress", json={"note": note, "percent": percent})
        if "complete" in f:
            meetings.call("POST", f"/follow-ups/{created['id']}/start")
            meetings.call("POST", f"/follow-ups/{created['id']}/complete", json={"note": f["complete"]})
    if spec.get("summary"):
        meetings.call("POST", f"/meetings/{mid}/minutes", json={"summary": spec["summary"],
                                                                 "decisions": spec.get("decisions", [])})
    if spec.get("publish"):
        meetings.call("POST", f"/meetings/{mid}/publish")


def load_indicators(indicators: Api, today: date) -> int:
    """The catalogue (`minilok indicators load-catalogue`), Batam's areas, a synthetic year."""
    subprocess.run([str(Path(sys.executable).parent / "minilok"), "indicators", "load-catalogue"], check=True,
                   stdout=subprocess.DEVNULL)
    if indicators.call("GET", "/areas/21.71", expect=(200, 404)).get("code") is None:
        indicators.call("POST", "/areas/bulk", json=batam_areas())
    rows = synthetic_values(last_twelve_months(today))
    accepted = 0
    for start in range(0, len(rows), 500):
        result = indicators.call("POST", "/values", json=rows[start:start + 500])
        accepted += result["accepted"]
        if result.get("rejected"):
            raise SystemExit(f"indicator values rejected: {result['rejected'][:3]}")
    return accepted


def main() -> None:
    settings = CommonSettings()
    secret = settings.minilok_secret
    admin = create_token(secret, "admin", subject="demo:admin")
    meetings_url, indicators_url = url("meetings", 8001), url("indicators", 8002)
    meetings, indicators = Api(meetings_url, admin), Api(indicators_url, admin)
    try:
        httpx.get(f"{meetings_url}/health", timeout=3).raise_for_status()
        httpx.get(f"{indicators_url}/health", timeout=3).raise_for_status()
    except httpx.HTTPError:
        raise SystemExit(f"Minilok is not running at {meetings_url} / {indicators_url}: start `make run` in "
                         "another terminal first.") from None
    today = date.today()
    loaded = {spec["key"]: load_puskesmas(meetings, spec, today) for spec in PUSKESMAS}
    values = load_indicators(indicators, today)

    print("Minilok demo dimuat / demo loaded (nilai indikator SINTETIS / indicator values are SYNTHETIC)")
    for spec in PUSKESMAS:
        item = loaded[spec["key"]]
        state = "dibuat / created" if item["created"] else "sudah ada / already there"
        print(f"  {spec['name']} (id {item['puskesmas']['id']}): {state}")
    print(f"  Kota Batam areas and {values} synthetic indicator values ({last_twelve_months(today)[0]}.."
          f"{last_twelve_months(today)[-1]})")
    print()
    print(f"Dashboard: {meetings_url}/   (English: {meetings_url}/?lang=en)")
    print("Masuk dengan salah satu token berikut / sign in with one of these tokens (valid 30 days):")
    ttl = 30 * 86400
    print(f"\n  admin:\n    {create_token(secret, 'admin', ttl_seconds=ttl, subject='demo:admin')}")
    for spec in PUSKESMAS:
        item = loaded[spec["key"]]
        pid = item["puskesmas"]["id"]
        token = create_token(secret, "puskesmas", puskesmas_id=pid, ttl_seconds=ttl, subject=f"demo:puskesmas:{pid}")
        print(f"\n  {spec['name']} (puskesmas):\n    {token}")
    for key, agency_key, label in (("baloi", "kec", "Kecamatan Batam Kota"),
                                   ("baru", "rt", "Forum Ketua RT Kelurahan Baru Tengah"),
                                   ("balong", "babinsa", "Babinsa Desa Balongbendo")):
        agency_id = loaded[key]["agencies"].get(agency_key)
        if agency_id:
            token = create_token(secret, "agency", agency_id=agency_id, ttl_seconds=ttl,
                                 subject=f"demo:agency:{agency_id}")
            print(f"\n  {label} (agency):\n    {token}")
    print("\nTindak lanjut yang lewat tenggat akan ditandai terlambat dan dieskalasi oleh penjadwal dalam "
          "beberapa detik / past-due follow-ups are marked overdue and escalated by the scheduler within a minute.")


if __name__ == "__main__":
    main()

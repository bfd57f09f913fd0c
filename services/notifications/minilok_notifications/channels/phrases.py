"""The words of every message, in Bahasa Indonesia and English: event kinds, statuses, meeting
kinds, and per event type what happened and what the reader should do next (owner, supporter,
agency escalated to, invited agency, agency taken off a meeting's list, or the puskesmas that watches)."""

from __future__ import annotations

from minilok_shared import labels


def _by_language(table: labels.Table) -> dict[str, dict[str, str]]:
    return {code: {"id": indonesian, "en": english} for code, (indonesian, english) in table.items()}


# Event kinds in words (the email's headline and the digest's items), statuses and meeting kinds:
# the words of minilok_shared.labels, as the dashboard, the PDF and the XLSX say them.
HEADLINES = _by_language({code: pair for code, pair in labels.EVENT_TYPES.items() if not code.endswith("*")})
UNKNOWN_HEADLINE = {"id": "Kabar dari Minilok", "en": "News from Minilok"}
# `meeting.updated` as an agency just taken off the meeting's list reads it.
UNINVITED_HEADLINE = {"id": "Undangan dibatalkan", "en": "Invitation withdrawn"}

STATUSES = _by_language(labels.FOLLOWUP_STATUSES)

MEETING_KINDS = _by_language({code: pair for code, pair in labels.MEETING_KINDS.items() if code != "other"})
MEETING_KIND_FALLBACK = _by_language(labels.MEETING_KINDS)["other"]

CHANNELS = {"email": {"id": "email", "en": "email"}, "whatsapp": {"id": "WhatsApp", "en": "WhatsApp"},
            "sms": {"id": "SMS", "en": "SMS"}, "webhook": {"id": "webhook", "en": "webhook"}}

UNITS = {"percent": "%", "per_100k": " per 100.000", "per_1000": " per 1.000", "count": "", "ratio": ""}
UNITS_EN = {"percent": "%", "per_100k": " per 100,000", "per_1000": " per 1,000", "count": "", "ratio": ""}

# Why the reader gets this message (the email's last line).
WHY = {
    "owner": {"id": "Bapak/Ibu menerima pesan ini sebagai penanggung jawab RTL ini.",
              "en": "You receive this message as the owner of this follow-up."},
    "supporter": {"id": "Bapak/Ibu menerima pesan ini sebagai lembaga pendukung RTL ini.",
                  "en": "You receive this message as a supporting agency of this follow-up."},
    "escalated": {"id": "Bapak/Ibu menerima pesan ini karena RTL ini diteruskan ke lembaga Bapak/Ibu.",
                  "en": "You receive this message because this follow-up was escalated to your agency."},
    "invited": {"id": "Bapak/Ibu menerima pesan ini sebagai lembaga yang diundang.",
                "en": "You receive this message as an invited agency."},
    "uninvited": {"id": "Bapak/Ibu menerima pesan ini karena lembaga Bapak/Ibu sebelumnya diundang ke acara ini.",
                  "en": "You receive this message because your agency was invited to this meeting before."},
    "puskesmas": {"id": "Bapak/Ibu menerima pesan ini karena berlangganan kabar {puskesmas}.",
                  "en": "You receive this message because you follow the news of {puskesmas}."},
}

# What to do next, one short sentence per event type and reader; "other" when the reader has no
# sentence of its own. Placeholders: {owner}, {escalated}, {puskesmas}.
NEXT_STEPS: dict[str, dict[str, dict[str, str]]] = {
    "followup.created": {
        "owner": {"id": "Mohon tekan tautan di bawah untuk menerima tugas ini, lalu laporkan kemajuannya "
                        "sebelum batas waktu.",
                  "en": "Please use the link below to acknowledge this task, then report progress before the "
                        "due date."},
        "supporter": {"id": "Lembaga Bapak/Ibu diminta mendukung {owner}; mohon berkoordinasi dengan mereka.",
                      "en": "Your agency is asked to support {owner}; please coordinate with them."},
        "other": {"id": "Belum ada yang perlu dilakukan; Minilok akan mengingatkan {owner}.",
                  "en": "Nothing to do yet; Minilok will remind {owner}."},
    },
    "followup.updated": {
        "owner": {"id": "Mohon periksa perubahan ini, terutama batas waktunya.",
                  "en": "Please check this change, especially the due date."},
        "other": {"id": "Mohon periksa perubahan ini.", "en": "Please check this change."},
    },
    "followup.due_soon": {
        "owner": {"id": "Mohon selesaikan sebelum batas waktu, atau minta perpanjangan bila perlu.",
                  "en": "Please finish before the due date, or ask for more time if needed."},
        "supporter": {"id": "Mohon bantu {owner} menyelesaikannya tepat waktu.",
                      "en": "Please help {owner} finish on time."},
        "other": {"id": "Untuk diketahui; {owner} sudah diingatkan.",
                  "en": "For your information; {owner} has been reminded."},
    },
    "followup.overdue": {
        "owner": {"id": "Mohon segera laporkan kemajuan, selesaikan, atau minta perpanjangan.",
                  "en": "Please report progress, complete it, or ask for more time as soon as possible."},
        "supporter": {"id": "Mohon bantu {owner} menyelesaikannya.", "en": "Please help {owner} get it done."},
        "other": {"id": "Mohon hubungi {owner} untuk menanyakan kendalanya.",
                  "en": "Please contact {owner} to ask what is holding it up."},
    },
    "followup.escalated": {
        "owner": {"id": "Mohon segera laporkan kemajuan, selesaikan, atau minta perpanjangan.",
                  "en": "Please report progress, complete it, or ask for more time as soon as possible."},
        "escalated": {"id": "Mohon bantu mendorong penyelesaiannya.",
                      "en": "Please help get it done soon."},
        "supporter": {"id": "Mohon bantu {owner} menyelesaikannya.", "en": "Please help {owner} get it done."},
        "other": {"id": "Mohon pantau penyelesaiannya bersama {escalated}.",
                  "en": "Please follow it up together with {escalated}."},
    },
    "followup.acknowledged": {
        "owner": {"id": "Terima kasih. Mohon laporkan kemajuannya secara berkala.",
                  "en": "Thank you. Please report progress regularly."},
        "other": {"id": "Untuk diketahui.", "en": "For your information."},
    },
    "followup.progressed": {
        "owner": {"id": "Terima kasih atas laporannya.", "en": "Thank you for the report."},
        "other": {"id": "Untuk diketahui.", "en": "For your information."},
    },
    "followup.extension_requested": {
        "owner": {"id": "Permintaan Bapak/Ibu sudah diteruskan ke {puskesmas}; mohon tunggu keputusannya.",
                  "en": "Your request has gone to {puskesmas}; please wait for its decision."},
        "puskesmas": {"id": "Mohon setujui atau tolak permintaan ini di halaman RTL.",
                      "en": "Please approve or refuse the request on the follow-up's page."},
        "other": {"id": "Untuk diketahui.", "en": "For your information."},
    },
    "followup.completed": {
        "owner": {"id": "Terima kasih atas kerja Bapak/Ibu.", "en": "Thank you for your work."},
        "supporter": {"id": "Terima kasih atas dukungan Bapak/Ibu.", "en": "Thank you for your support."},
        "puskesmas": {"id": "Bukti penyelesaian dapat dilihat di halaman RTL.",
                      "en": "The evidence can be seen on the follow-up's page."},
        "other": {"id": "Untuk diketahui.", "en": "For your information."},
    },
    "followup.cancelled": {
        "other": {"id": "Tidak ada lagi yang perlu dilakukan untuk RTL ini.",
                  "en": "Nothing more needs to be done for this follow-up."},
    },
    "followup.reopened": {
        "owner": {"id": "Mohon lanjutkan pekerjaan ini dan laporkan kemajuannya.",
                  "en": "Please resume this work and report progress."},
        "supporter": {"id": "Mohon lanjutkan dukungan Bapak/Ibu kepada {owner}.",
                      "en": "Please keep supporting {owner}."},
        "other": {"id": "Untuk diketahui.", "en": "For your information."},
    },
    "meeting.scheduled": {
        "invited": {"id": "Kami mengharapkan kehadiran Bapak/Ibu.", "en": "We look forward to your attendance."},
        "other": {"id": "Untuk diketahui.", "en": "For your information."},
    },
    "meeting.updated": {
        "invited": {"id": "Mohon catat jadwal ini; kami mengharapkan kehadiran Bapak/Ibu.",
                    "en": "Please note this time; we look forward to your attendance."},
        "uninvited": {"id": "Mohon maaf atas perubahan ini; Bapak/Ibu tidak perlu hadir. Terima kasih.",
                      "en": "We apologise for the change; you need not attend. Thank you."},
        "other": {"id": "Untuk diketahui.", "en": "For your information."},
    },
    "meeting.cancelled": {
        "invited": {"id": "Mohon abaikan undangan sebelumnya.", "en": "Please disregard the earlier invitation."},
        "other": {"id": "Untuk diketahui.", "en": "For your information."},
    },
    "meeting.minutes_published": {
        "other": {"id": "Mohon baca notulen dan RTL yang disepakati.",
                  "en": "Please read the minutes and the agreed follow-ups."},
    },
    "indicator.below_target": {
        "other": {"id": "Mohon bahas di lokakarya mini berikutnya.", "en": "Please discuss it at the next mini "
                                                                         "workshop."},
    },
    "indicator.recovered": {
        "other": {"id": "Untuk diketahui.", "en": "For your information."},
    },
    "notification.failed": {
        "other": {"id": "Mohon periksa alamat tujuan langganan ini di Minilok.",
                  "en": "Please check this subscription's target in Minilok."},
    },
    "notification.test": {
        "other": {"id": "Tidak ada yang perlu dilakukan.", "en": "Nothing to do."},
    },
}

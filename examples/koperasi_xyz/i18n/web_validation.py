"""Why typed input is refused, as the core's parsers write it (dyncrm.money, dyncrm.inputs,
dyncrm.text, dyncrm.passwords): shown beside the field in the portal.

These are finished sentences; the portal matches them against these ids, whose
placeholders stand for the values the parser put in (``Catalogue.sentence``).
"""

MESSAGES = {
    # amounts and numbers
    "{text} is not an amount": "{text} bukan jumlah uang yang sah",
    "{text} has misplaced thousands separators":
        "pemisah ribuan pada {text} salah tempat (tulis misalnya 1.500.000)",
    "{text} is not a number": "{text} bukan angka",
    "{text} is not a whole number": "{text} bukan bilangan bulat",
    "must be a whole number": "harus bilangan bulat",
    "must be from {minimum} to {maximum}, not {number}":
        "harus antara {minimum} dan {maximum}, bukan {number}",
    "must be above zero, not {amount}": "harus lebih dari nol, bukan {amount}",
    "must be in {currency}, not {other}": "harus dalam {currency}, bukan {other}",
    "{text} is not a percentage": "{text} bukan persentase",
    # dates
    "write the date as YYYY-MM-DD": "tulis tanggal sebagai TTTT-BB-HH",
    "write the date as YYYY-MM-DD ({text} is not a date)":
        "tulis tanggal sebagai TTTT-BB-HH ({text} bukan tanggal)",
    "{day} is in the future": "{day} masih di masa depan",
    "{day} is too far in the future (latest {latest})":
        "{day} terlalu jauh ke depan (paling lambat {latest})",
    # text
    "must not be empty": "wajib diisi",
    "must be text": "harus berupa teks",
    "must contain letters": "harus berisi huruf",
    "must start with a letter or a digit": "harus diawali huruf atau angka",
    "must be at most {maximum} characters": "paling banyak {maximum} karakter",
    "is {length} characters long; at most {maximum}":
        "panjangnya {length} karakter; paling banyak {maximum}",
    "give at least {minimum} characters": "isi paling sedikit {minimum} karakter",
    "give the full name (at least 2 characters)":
        "isi nama lengkap (paling sedikit 2 karakter)",
    "is not an e-mail address": "bukan alamat e-mail",
    "is not an e-mail address{example}": "bukan alamat e-mail{example}",
    "the domain must end in a name such as .com or .id":
        "domain harus diakhiri nama seperti .com atau .id",
    # passwords
    "must be at least {minimum} characters": "paling sedikit {minimum} karakter",
    "is too common (it is on a list of passwords that attackers try first)":
        "terlalu umum (ada dalam daftar kata sandi yang pertama kali dicoba penyerang)",
    "is a run of repeated or sequential characters":
        "berupa deretan karakter yang berulang atau berurutan",
    "must not contain {word}": "tidak boleh memuat {word}",
    # uploads
    "is larger than {size} bytes": "lebih besar dari {size} byte",
}

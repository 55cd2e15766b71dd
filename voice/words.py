"""How numbers and letters are spoken: Vietnamese and English words, no audio."""

from __future__ import annotations

VI_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

# Vietnamese names of the Latin letters as read aloud in offices ("A", "bê", "xê"...).
# The Vietnamese alphabet lacks F, J, W, Z; their everyday names are used.
VI_LETTERS = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "F": "ép",
    "G": "giê", "H": "hát", "I": "i", "J": "gi", "K": "ca", "L": "e lờ", "M": "em mờ",
    "N": "en nờ", "O": "o", "P": "pê", "Q": "quy", "R": "e rờ", "S": "ét xì", "T": "tê",
    "U": "u", "V": "vê", "W": "vê kép", "X": "ích xì", "Y": "i dài", "Z": "dét",
}  # fmt: skip

EN_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
            "seventeen", "eighteen", "nineteen")  # fmt: skip
EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

DIALECTS = {
    # zero tens before units after a hundred, and the word for a thousand
    "north": {"zero_tens": "linh", "thousand": "nghìn"},
    "south": {"zero_tens": "lẻ", "thousand": "ngàn"},
}


def letter_vi(letter: str) -> str:
    """The Vietnamese name of a capital letter; unknown characters are returned as they are."""
    return VI_LETTERS.get(letter.upper(), letter)


def _vi_below_100(n: int) -> list[str]:
    tens, units = divmod(n, 10)
    if tens == 0:
        return [VI_DIGITS[units]]
    words = ["mười"] if tens == 1 else [VI_DIGITS[tens], "mươi"]
    if units == 0:
        return words
    if units == 1 and tens >= 2:
        words.append("mốt")  # hai mươi mốt, but mười một
    elif units == 4 and tens >= 2:
        words.append("tư")  # hai mươi tư, but mười bốn
    elif units == 5:
        words.append("lăm")  # mười lăm, hai mươi lăm
    else:
        words.append(VI_DIGITS[units])
    return words


def _vi_below_1000(n: int, dialect: dict, full: bool) -> list[str]:
    """`full`: a higher group precedes, so 'không trăm' and 'linh' are said (1 005)."""
    hundreds, rest = divmod(n, 100)
    words: list[str] = []
    if hundreds or full:
        words += [VI_DIGITS[hundreds], "trăm"]
    if rest == 0:
        return words
    if rest < 10 and words:
        words += [dialect["zero_tens"], VI_DIGITS[rest]]  # một trăm linh năm (not lăm, not mốt)
    else:
        words += _vi_below_100(rest)
    return words


def vi_number_words(n: int, dialect: str = "north") -> list[str]:
    """0..999 999 in Vietnamese words: 21 -> hai mươi mốt, 105 -> một trăm linh năm."""
    if not isinstance(n, int) or n < 0 or n > 999_999:
        raise ValueError(f"cannot read {n!r} in words")
    d = DIALECTS[dialect]
    if n == 0:
        return [VI_DIGITS[0]]
    thousands, rest = divmod(n, 1000)
    words: list[str] = []
    if thousands:
        words += _vi_below_1000(thousands, d, full=False) + [d["thousand"]]
    if rest:
        words += _vi_below_1000(rest, d, full=bool(thousands))
    return words


def en_number_words(n: int) -> list[str]:
    """0..999 999 in English words: 105 -> one hundred five (American, no 'and')."""
    if not isinstance(n, int) or n < 0 or n > 999_999:
        raise ValueError(f"cannot read {n!r} in words")
    if n == 0:
        return [EN_DIGITS[0]]

    def below_1000(m: int) -> list[str]:
        hundreds, rest = divmod(m, 100)
        words = [EN_DIGITS[hundreds], "hundred"] if hundreds else []
        if rest >= 20:
            words.append(EN_TENS[rest // 10])
            if rest % 10:
                words.append(EN_DIGITS[rest % 10])
        elif rest >= 10:
            words.append(EN_TEENS[rest - 10])
        elif rest:
            words.append(EN_DIGITS[rest])
        return words

    thousands, rest = divmod(n, 1000)
    words = below_1000(thousands) + ["thousand"] if thousands else []
    return words + below_1000(rest)


def number_words(n: int, lang: str, dialect: str = "north") -> list[str]:
    """The words of `n` in `lang` ('vi' or 'en')."""
    return vi_number_words(n, dialect) if lang == "vi" else en_number_words(n)


def digit_words(digits: str, lang: str) -> list[str]:
    """'012' -> ['không', 'một', 'hai'] (or English): read one digit at a time."""
    table = VI_DIGITS if lang == "vi" else EN_DIGITS
    return [table[int(c)] for c in digits if c.isdigit()]

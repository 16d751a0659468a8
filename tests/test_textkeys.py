"""The compiled text-key kernels (planner.kernels.text_*) against the pyarrow normalisers, pandas and numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planner.kernels
from planner._radix import argsort_u64, sort_rows_u64
from planner.kernels.hash_table import factorize
from planner.kernels.text_hash import MULT_G, MULT_H, SEED_G, SEED_H, combine, hash_column, row_hashes, string_buffers
from planner.kernels.text_join import duplicated, is_member, join, shared_hashes
from planner.kernels.text_normalise import CODE, HOUSE, RAW, STREET, normalise_into
from planner.whitespots.keys import arrow_code, arrow_house, arrow_street, key_pairs

# pieces that address texts are made of, including every case the kernels hand
# over to pyarrow (other diacritics, other scripts, control characters, NBSP)
_PIECES = ["ul.", "UL", "ul ", "ulica ", "al.", "Aleje ", "pl.", "os.", "osiedle", "Księżycowa", "KSIĘŻYCOWA",
           "Łąkowa", "ŻÓŁTA", "źródlana", "3 Maja", "12", "012", "0", "00", "12.0", "1.0", "a", "A", " ", "  ",
           "/", "/3", "-", ".", ",", "é", "ß", "Ж", "\t", "\x1c", "\u00a0", "ą", "Ć", "ę", "ń", "ó", "Ś", "ż"]
_texts = st.lists(st.sampled_from(_PIECES), max_size=5).map("".join)
_values = st.lists(st.one_of(_texts, st.none()), max_size=40)

_KINDS = [(CODE, 7, arrow_code(7)), (CODE, 5, arrow_code(5)), (STREET, 0, arrow_street), (HOUSE, 0, arrow_house)]


def _pyarrow_norm(values: list, norm) -> list[str]:
    """The pyarrow normaliser of every value (missing as '')."""
    return [norm(pa.array([v if isinstance(v, str) else ""], type=pa.string()))[0].as_py() for v in values]


@settings(max_examples=150, deadline=None)
@given(values=_values, kind=st.sampled_from(range(len(_KINDS))))
def test_kernel_normalises_as_pyarrow(values, kind):
    code, width, norm = _KINDS[kind]
    arr = pa.array(values, type=pa.string())
    want = _pyarrow_norm(values, norm)
    # the value the kernel writes (where it handles the value) is the pyarrow one
    data, offsets, missing = string_buffers(arr)
    buf = np.empty(max(64, width), dtype=np.uint8)
    for i, v in enumerate(values):
        if v is None:
            continue
        k = normalise_into(code, width, data, offsets[i], offsets[i + 1], buf)
        if k >= 0:
            assert bytes(buf[:k]).decode() == want[i], (v, want[i])
        else:  # handed over: outside printable ASCII (and, for names and numbers, Polish letters)
            handled = "" if code == CODE else "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"
            assert any(not (" " <= ch <= "~" or ch in handled) for ch in v)
    # and the hash of every value is the hash of its pyarrow form, whichever path made it (the kernel
    # forced with min_rows=0; the library path of short columns hashes the pyarrow form itself)
    h, g, empty = hash_column(arr, code, width, norm, min_rows=0)
    wh, wg, wempty = hash_column(pa.array(want, type=pa.string()), RAW)
    assert np.array_equal(h, wh) and np.array_equal(g, wg)
    assert np.array_equal(empty, wempty) and np.array_equal(empty, np.array([w == "" for w in want], dtype=bool))


_EDGE_CASES = ["00", "000", "0", "0a", "00a", "012", "12.0", "1.0a", "012/3", " 1 2 a", "/3", "ul", "ul.",
               "ulica", "ul ul x", "UL.X", "os.-a", "  al.  3 Maja ", "000012", " 7 ", "-1", "", "x1A", "Ąą Żż", "é",
               "a\x1cb",
               # every street prefix, its near misses, and a prefix alone
               "ulica Długa", "ul Długa", "Aleja Róż", "ALEJE Jerozolimskie", "al 3 Maja", "Plac Wolności",
               "pl. Wolności", "Osiedle Słoneczne", "os Słoneczne", "Alejka Róż", "ule x", "placu x", "o x",
               "aleje", "ulicax y",
               # codes already in normal form (hashed from the buffer) beside their other spellings
               "0100000", "100000", " 0100000 ", "0100000.0", "12345", "012345", "1234", "1234.0", "1234567",
               "12345678", "00000", "0000000",
               # longer than the kernel's first buffer (64 bytes): it grows and goes on
               "ul. " + "Księżycowa " * 20, "1" * 100 + "a", "0" * 80 + "7", " " * 70 + "x", "Ż" * 40]


@pytest.mark.parametrize("kind", range(len(_KINDS)))
def test_edge_cases_hash_as_their_pyarrow_form(kind):
    code, width, norm = _KINDS[kind]
    wh, wg, _ = hash_column(pa.array(_pyarrow_norm(_EDGE_CASES, norm)), RAW)
    for min_rows in (0, 10**9):  # the kernel, the pyarrow normaliser
        h, g, _ = hash_column(pa.array(_EDGE_CASES), code, width, norm, min_rows=min_rows)
        assert np.array_equal(h, wh) and np.array_equal(g, wg)


def test_spellings_of_one_address_share_a_hash():
    streets = pa.array(["ul. Księżycowa", "KSIEZYCOWA", "ulica księżycowa", "  Ul.Księżycowa ", "Księżycowa"])
    h, g, _ = hash_column(streets, STREET, 0, arrow_street, min_rows=0)
    assert len(set(zip(h.tolist(), g.tolist()))) == 1
    numbers = pa.array(["12A", "12 a", "12a", "012a", "12a/3"])
    h, g, _ = hash_column(numbers, HOUSE, 0, arrow_house, min_rows=0)
    assert len(set(zip(h.tolist(), g.tolist()))) == 1
    h, _, _ = hash_column(pa.array(["12", "13", "12/3", "1 2", "21"]), HOUSE, 0, arrow_house, min_rows=0)
    assert h[0] == h[2] == h[3] and len({h[0], h[1], h[4]}) == 3


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_left=st.integers(0, 60), n_right=st.integers(0, 60),
       n_values=st.integers(1, 8))
def test_join_equals_pandas_merge(seed, n_left, n_right, n_values):
    rng = np.random.default_rng(seed)
    words = np.array([f"k{i}" for i in range(n_values)] + [""], dtype=object)
    a_left, b_left = rng.choice(words, n_left), rng.choice(words, n_left)
    a_right, b_right = rng.choice(words, n_right), rng.choice(words, n_right)
    ok_left, ok_right = rng.random(n_left) < 0.9, rng.random(n_right) < 0.9

    def key(a, b):
        return combine(hash_column(pa.array(list(a), type=pa.string()), RAW)[:2],
                       hash_column(pa.array(list(b), type=pa.string()), RAW)[:2])

    li, rj = join(key(a_left, b_left), ok_left, key(a_right, b_right), ok_right)
    left = pd.DataFrame({"a": a_left, "b": b_left, "i": np.arange(n_left)})[ok_left]
    right = pd.DataFrame({"a": a_right, "b": b_right, "j": np.arange(n_right)})[ok_right]
    want = left.merge(right, on=["a", "b"]).sort_values(["i", "j"])
    assert li.tolist() == want["i"].tolist() and rj.tolist() == want["j"].tolist()


def test_combine_keeps_column_order():
    ab = hash_column(pa.array(["a", "b"]), RAW)[:2]
    ba = hash_column(pa.array(["b", "a"]), RAW)[:2]
    h, _ = combine(ab, ba)  # rows ("a", "b") and ("b", "a")
    assert h[0] != h[1]


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.sampled_from(["", "a", "b", "ab", "ba", "Ą", "id-1"]), st.none()),
                       max_size=50))
def test_duplicated_equals_pandas(values):
    got = duplicated(pa.array(values, type=pa.string()))
    want = pd.Series(values, dtype=object).duplicated(keep=False).to_numpy()
    assert np.array_equal(got, want)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 5000), high=st.sampled_from([2, 300, 2**21, 2**64 - 1]),
       digit_bits=st.sampled_from([4, 11, 16]))
def test_radix_argsort_equals_numpy_stable(seed, n, high, digit_bits):
    keys = np.random.default_rng(seed).integers(0, high, n, dtype=np.uint64, endpoint=True)
    assert np.array_equal(argsort_u64(keys, digit_bits), np.argsort(keys, kind="stable"))
    rows = np.column_stack([keys, np.arange(n, dtype=np.uint64)])
    for shift in (0, 7):
        got = sort_rows_u64(rows, shift)
        assert np.array_equal(got, rows[np.argsort(keys >> np.uint64(shift), kind="stable")])


def _merge_oracle(left: pd.DataFrame, right: pd.DataFrame, middle: str) -> set[tuple[int, int]]:
    """Pairs of rows with equal pyarrow-normalised SIMC, ULIC/street and number (pandas merge)."""
    def norm(df):
        out = pd.DataFrame({
            "simc": _pyarrow_norm(df["simc"].tolist(), arrow_code(7)),
            "mid": _pyarrow_norm(df[middle].tolist(), arrow_code(5) if middle == "ulic" else arrow_street),
            "hn": _pyarrow_norm(df["house_number"].tolist(), arrow_house),
            "pos": np.arange(len(df))})
        return out[(out["simc"] != "") & (out["hn"] != "")]
    m = norm(left).merge(norm(right), on=["simc", "mid", "hn"])
    return set(zip(m["pos_x"].tolist(), m["pos_y"].tolist()))


@pytest.mark.parametrize("min_rows", [0, 10**9])  # the kernels, the pyarrow normalisers
@pytest.mark.parametrize("seed", range(4))
def test_key_pairs_equal_a_merge_of_normalised_columns(seed, min_rows, monkeypatch):
    monkeypatch.setattr(planner.kernels, "MIN_COMPILED_ROWS", min_rows)
    rng = np.random.default_rng(seed)
    n = 300

    def frame(k):
        return pd.DataFrame({
            "simc": rng.choice(["0001234", "1234", " 0001234 ", "1234.0", "0005678", "", None], k),
            "ulic": rng.choice(["00012", "12", "12.0", "00034", "", None], k),
            "street": rng.choice(["ul. Księżycowa", "KSIEZYCOWA", "al. Łąkowa", "Lakowa", "Straße", "", None], k),
            "house_number": rng.choice(["12", "012", "12 a", "12A", "12/3", "7", "", None, "１２"], k),
        })
    left, right = frame(n), frame(n)
    mask = rng.random(n) < 0.8
    (ui, uj), (si, sj) = key_pairs(left, right, mask)
    want_u = {(i, j) for i, j in _merge_oracle(left, right, "ulic") if mask[i]}
    assert set(zip(ui.tolist(), uj.tolist())) == want_u
    by_ulic = {i for i, _ in want_u}
    want_s = {(i, j) for i, j in _merge_oracle(left, right, "street") if mask[i] and i not in by_ulic}
    assert set(zip(si.tolist(), sj.tolist())) == want_s
    for i, j in ((ui, uj), (si, sj)):
        assert np.all(np.diff(i) >= 0) and np.all((np.diff(i) > 0) | (np.diff(j) > 0))


_M64 = (1 << 64) - 1


def _mix_py(h: int) -> int:
    """splitmix64's finaliser in plain Python (the oracle)."""
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & _M64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & _M64
    return h ^ (h >> 31)


def _hash_py(value: bytes) -> tuple[int, int]:
    """The two hashes of a value as documented: a multiply chain per 8-byte little-endian word (zero-padded)."""
    hh, gg = int(SEED_H), int(SEED_G)
    for j in range(0, len(value), 8):
        w = int.from_bytes(value[j:j + 8], "little")
        hh = ((hh ^ w) * int(MULT_H)) & _M64
        gg = ((gg + w) * int(MULT_G)) & _M64
    return _mix_py(hh ^ len(value)), _mix_py((gg + len(value)) & _M64)


@settings(max_examples=60, deadline=None)
@given(values=_values, offset=st.integers(0, 3))
def test_hashes_equal_a_plain_python_oracle(values, offset):
    """Words read straight from the Arrow buffer (aligned or not, near its end too) and from the normalised
    copy hash as the documented chain does in plain Python."""
    arr = pa.array(values + ["x"] * offset, type=pa.string()).slice(offset)  # a sliced array too
    h, g, empty = hash_column(arr, RAW)
    want = [_hash_py((v or "").encode()) for v in arr.to_pylist()]
    assert [(int(a), int(b)) for a, b in zip(h, g)] == want
    assert empty.tolist() == [not v for v in arr.to_pylist()]
    h, g, _ = hash_column(arr, CODE, 7, arrow_code(7), min_rows=0)
    want = [_hash_py(v.encode()) for v in _pyarrow_norm(arr.to_pylist(), arrow_code(7))]
    assert [(int(a), int(b)) for a, b in zip(h, g)] == want


def test_row_hashes_equal_for_equal_rows_only():
    nan2 = np.frombuffer(np.uint64(0x7FF8000000000001).tobytes(), dtype=np.float64)[0]  # another NaN payload
    texts = pa.array(["a", "a", "a", "a", None, "", "b", "a"], type=pa.string())
    numbers = np.array([1.0, 1.0, 1.0, -0.0, 0.0, 0.0, 1.0, 2.0])
    other = np.array([np.nan, nan2, np.nan, 0.0, 0.0, 0.0, np.nan, np.nan])
    ints = np.array([1, 1, 1, 0, 0, 0, 1, 2])
    h, g = row_hashes([texts, numbers, other], len(numbers))
    h2, _ = row_hashes([texts, ints.astype(float), other], len(numbers))
    h3, _ = row_hashes([texts, ints, other], len(numbers))
    assert np.array_equal(h, h2) and np.array_equal(h, h3)  # 1 as 1.0, -0.0 as 0.0
    key = list(zip(["a", "a", "a", "a", "", "", "b", "a"], numbers + 0.0, np.where(np.isnan(other), -1.0, other)))
    for i in range(8):
        for j in range(8):
            assert (h[i] == h[j] and g[i] == g[j]) == (key[i] == key[j]), (i, j)  # missing text as ''
    assert shared_hashes(h, g).tolist() == [True, True, True, False, True, True, False, False]


def test_shared_hashes_and_member_with_colliding_first_words():
    rng = np.random.default_rng(2)
    h = rng.integers(0, 50, 2000).astype(np.uint64)  # the first word collides all the time
    g = rng.integers(0, 3, 2000).astype(np.uint64) * np.uint64(2**40)
    pairs = pd.Series(list(zip(h.tolist(), g.tolist())))
    assert np.array_equal(shared_hashes(h, g), pairs.duplicated(keep=False).to_numpy())
    values = np.unique(rng.integers(0, 10**12, 300).astype(np.uint64))
    probe = np.concatenate([values[::3], rng.integers(0, 10**12, 5000).astype(np.uint64)])
    assert np.array_equal(is_member(probe, values), np.isin(probe, values))
    assert not is_member(probe, values[:0]).any()


def _arrow_codes(arr: pa.Array) -> tuple[list, list]:
    """Oracle: Arrow's dictionary encoding, as codes (-1 for missing) and dictionary."""
    enc = pc.dictionary_encode(arr)
    return [-1 if c is None else c for c in enc.indices.to_pylist()], enc.dictionary.to_pylist()


# values of 0-40 bytes: keys of one and two words, longer ones sharing their first 16 bytes
_LONG_VALUES = ["", "a", "b", "ul. Księżycowa", "ul. Księżycowa 1", "ul. Księżycowa 12", "ul. Księżycowa 13",
                "0123456789abcdef", "0123456789abcdefX", "0123456789abcdefY", "0123456789abcdefY" * 2, "x" * 8,
                "x" * 9, "a\x00", "x" * 8 + "\x00"]
_LONG = st.sampled_from(_LONG_VALUES)


@settings(max_examples=80, deadline=None)
@given(values=st.lists(st.one_of(_LONG, _texts, st.none()), max_size=60), offset=st.integers(0, 3))
def test_factorize_equals_arrow_dictionary_encode(values, offset):
    arr = pa.array(values, type=pa.string()).slice(offset)  # sliced: offsets not from 0, words unaligned
    codes, first = factorize(arr)
    want_codes, want_dict = _arrow_codes(arr)
    assert codes.tolist() == want_codes
    assert arr.take(pa.array(first, type=pa.int64())).to_pylist() == want_dict


def test_factorize_tells_apart_values_sharing_their_first_words():
    arr = pa.array(_LONG_VALUES * 3 + [None])
    codes, first = factorize(arr)
    assert codes.tolist() == _arrow_codes(arr)[0] and len(first) == len(_LONG_VALUES)


def test_factorize_grows_its_table_and_gives_up_beyond_the_limit():
    values = pa.array([f"value {i % 3000:05d} of many, long enough to take three words" for i in range(9000)])
    codes, first = factorize(values)  # 3000 distinct: the table of 16 grown eight times
    want_codes, want_dict = _arrow_codes(values)
    assert codes.tolist() == want_codes and values.take(pa.array(first)).to_pylist() == want_dict
    assert factorize(values, limit=2048) is None
    assert factorize(values, limit=4096) is not None


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.one_of(st.text(max_size=30), _texts, st.none()), min_size=1, max_size=60),
       offset=st.integers(0, 3), seed=st.integers(0, 2**32 - 1))
def test_short_inputs_take_numpy_paths_with_the_kernels_results(values, offset, seed):
    """Below MIN_COMPILED_ROWS the raw hashes, their chaining and the join run in numpy (nothing to compile on
    a small area's first run): the same hashes and the same pairs in the same order as the kernels."""
    arr = pa.array(values + ["x"] * offset, type=pa.string()).slice(offset)
    rng = np.random.default_rng(seed)
    other = pa.array(rng.choice(np.array(values, dtype=object), 2 * len(values)).tolist(), type=pa.string())
    ok_a, ok_o = rng.random(len(arr)) < 0.9, rng.random(len(other)) < 0.9
    results = []
    for min_rows in (0, 10**9):  # the kernels, numpy
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(planner.kernels, "MIN_COMPILED_ROWS", min_rows)
            h, g, empty = hash_column(arr, RAW)
            ka = combine((h, g), hash_column(arr, RAW)[:2])
            ko = combine(hash_column(other, RAW)[:2], hash_column(other, RAW)[:2])
            pairs = [join(ka, ok_a, ko, ok_o, ordered=o) for o in (True, False)]
            results.append((h, g, empty, *ka, *row_hashes([arr, np.arange(len(arr), dtype=float)], len(arr)),
                            *(x for p in pairs for x in p)))
    for a, b in zip(*results):
        assert a.dtype == b.dtype and np.array_equal(a, b)

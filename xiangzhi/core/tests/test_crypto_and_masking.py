import pytest
from cryptography.exceptions import InvalidTag
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from xiangzhi.core import crypto
from xiangzhi.core.masking import mask_id_number, mask_phone


def test_encryption_round_trips_and_is_randomised():
    a, b = crypto.encrypt("13812345678"), crypto.encrypt("13812345678")
    assert a != b and "13812345678" not in a
    assert crypto.decrypt(a) == crypto.decrypt(b) == "13812345678"


def test_tampered_ciphertext_is_refused():
    token = crypto.encrypt("11010519491231002X")
    body = bytearray(crypto.base64.urlsafe_b64decode(token[3:]))
    body[-1] ^= 1
    with pytest.raises(InvalidTag):
        crypto.decrypt("v1:" + crypto.base64.urlsafe_b64encode(bytes(body)).decode())


def test_another_key_cannot_decrypt_and_indexes_differ():
    token = crypto.encrypt("13812345678")
    index = crypto.blind_index("phone", "13812345678")
    with override_settings(FIELD_ENCRYPTION_KEY="another-key-entirely"):
        with pytest.raises(InvalidTag):
            crypto.decrypt(token)
        assert crypto.blind_index("phone", "13812345678") != index


def test_blind_index_keyspaces_are_separate():
    assert crypto.blind_index("phone-tail", "5678") != crypto.blind_index("id-tail", "5678")
    assert crypto.blind_index("phone", "1") == crypto.blind_index("phone", "1")


def test_masks():
    assert mask_id_number("50011119800101123X") == "500111********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("02343761234") == "023****1234"
    assert mask_phone("4376123") == "***6123"
    assert mask_id_number(None) == "" and mask_phone("") == ""


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_a_masked_phone_never_holds_the_middle_digits(number):
    masked = mask_phone(number)
    assert masked[3:7] == "****" and number not in masked


@given(st.text(min_size=0, max_size=40))
def test_encryption_round_trips_any_text(text):
    assert crypto.decrypt(crypto.encrypt(text)) == text

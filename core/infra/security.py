"""Passwords (argon2), opaque secrets, signed tokens with key rotation."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.infra.clock import Clock
from core.errors import ErrorCode, NotAuthenticated


# The problem codes of bearer tokens.
TokenCode = ErrorCode.table("TokenCode", __name__, {
    NotAuthenticated: "invalid_token token_expired",
})


_hasher = PasswordHasher()
# Verifying against this keeps the time of a login with an unknown email like a known one.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


# argon2 costs about 0.2 s of CPU a password: it runs in a few threads of its own (the hashing
# releases the GIL), never on the event loop, and never more of them at once than there are cores
# to spare; further checks wait for a thread while the loop serves everyone else.
_PASSWORD_THREADS = ThreadPoolExecutor(max_workers=max(1, min(4, (os.cpu_count() or 2) - 1)),
                                       thread_name_prefix="argon2")


async def hash_password_off_loop(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_PASSWORD_THREADS, hash_password, password)


async def verify_password_off_loop(password_hash: str | None, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(_PASSWORD_THREADS, verify_password, password_hash,
                                                            password)


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


VERIFIED_CACHE = 10_000


def _kid(secret: str) -> str:
    return sha256_hex(secret)[:12]


class TokenCodec:
    """HS256 tokens. New tokens are signed with the first secret; the others still verify, so a
    key rotation logs nobody out. Expiry is checked against the injected clock."""

    def __init__(self, secrets_: tuple[str, ...], clock: Clock) -> None:
        if not secrets_ or not secrets_[0]:
            raise ValueError("a token secret is required")
        self._signing = secrets_[0]
        self._keys = {_kid(s): s for s in secrets_ if s}
        self._clock = clock
        self._verified: dict[str, dict] = {}

    def _check_signature(self, token: str) -> dict:
        try:
            header = jwt.get_unverified_header(token)
            key = self._keys.get(header.get("kid", ""))
            if key is None:
                raise NotAuthenticated("Токен недействителен", code=TokenCode.INVALID_TOKEN)
            return jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False})
        except jwt.PyJWTError:
            raise NotAuthenticated("Токен недействителен", code=TokenCode.INVALID_TOKEN) from None

    def issue(self, claims: dict, ttl: int) -> tuple[str, datetime]:
        now = self._clock.now()
        expires = now + timedelta(seconds=ttl)
        payload = {**claims, "iat": int(now.timestamp()), "exp": int(expires.timestamp())}
        token = jwt.encode(payload, self._signing, algorithm="HS256", headers={"kid": _kid(self._signing)})
        return token, expires

    def verify(self, token: str, typ: str) -> dict:
        claims = self._verified.get(token)
        if claims is None:
            claims = self._check_signature(token)
            # An app sends the same access token with every request for its lifetime: checking its
            # signature once per process is enough (expiry is still checked every time, below).
            if len(self._verified) >= VERIFIED_CACHE:
                self._verified.clear()
            self._verified[token] = claims
        if claims.get("typ") != typ:
            raise NotAuthenticated("Токен недействителен", code=TokenCode.INVALID_TOKEN)
        if int(claims.get("exp", 0)) <= self._clock.now().timestamp():
            raise NotAuthenticated("Срок действия токена истёк", code=TokenCode.TOKEN_EXPIRED)
        return claims

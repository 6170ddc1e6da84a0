"""Value sets stored as strings (with CHECK constraints) in the database."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    USER = "user"
    ARTIST = "artist"
    OPERATOR = "operator"
    ADMIN = "admin"


class VerificationStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Product(StrEnum):
    GREETING = "greeting"
    POSTER = "poster"
    FACE_QUIZ = "face_quiz"


class PostingKind(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"
    REVERSAL = "reversal"


class PaymentProvider(StrEnum):
    STARS = "stars"
    PAYME = "payme"
    CLICK = "click"


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class JobKind(StrEnum):
    GREETING = "greeting"
    POSTER = "poster"
    FACE = "face"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DELIVERED = "delivered"
    # The result was made and stored, but the chat could not be reached (bot blocked): it
    # stays in the fan's history and is not refunded.
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ErrorClass(StrEnum):
    TRANSIENT = "transient"
    USER_INPUT = "user_input"
    CAPACITY = "capacity"
    INTERNAL = "internal"

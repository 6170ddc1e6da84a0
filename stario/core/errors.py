"""Domain errors. Transports turn them into localised replies; each carries an i18n key."""

from __future__ import annotations


class StarioError(Exception):
    """Base of every domain error. `key` names the localised message for the fan."""

    key = "error-internal"


class NotFoundError(StarioError):
    key = "error-not-found"


class ValidationFailed(StarioError):
    key = "error-invalid-input"


class InvalidAmountError(ValidationFailed):
    """A ledger amount that is zero, negative or not an integer."""

    key = "error-invalid-amount"


class InsufficientBalanceError(StarioError):
    key = "error-insufficient-balance"

    def __init__(self, user_id: int, balance: int, needed: int) -> None:
        self.user_id = user_id
        self.balance = balance
        self.needed = needed
        super().__init__(f"user {user_id} has {balance} credits, needs {needed}")


class IdempotencyConflictError(StarioError):
    """The same idempotency key was used before for a different posting."""

    key = "error-internal"


class UserBannedError(StarioError):
    key = "error-banned"


class ObjectNotFoundError(NotFoundError):
    """Storage has no object under that key."""


class NotAvailableYetError(StarioError):
    """A registered command or engine whose issue has not landed yet."""

    key = "error-not-available"


class ArtistUnavailableError(StarioError):
    """The artist cannot take this order (not verified, inactive, no consent for the product)."""

    key = "error-artist-unavailable"

    def __init__(self, slug: str, reason: str) -> None:
        self.slug = slug
        self.reason = reason
        super().__init__(f"artist {slug!r} unavailable: {reason}")


class ModerationRefusedError(StarioError):
    """The fan's text breaks a rule; `reasons` are i18n keys explaining each problem."""

    key = "error-moderation"

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(", ".join(reasons))


class QueueUnavailableError(StarioError):
    """The job could not be queued; it was refunded at once."""

    key = "error-queue-unavailable"


class OrderNotPayableError(StarioError):
    """The order cannot take this payment step (already paid, cancelled, expired, refunded)."""

    key = "error-order-not-payable"

    def __init__(self, order_id: int, status: str) -> None:
        self.order_id = order_id
        self.status = status
        super().__init__(f"order {order_id} is {status}")


class RefundRefusedError(StarioError):
    """The refund would take back credits the fan already spent: refused, nothing changed
    (a balance never goes negative)."""

    key = "error-refund-refused"

    def __init__(self, order_id: int, balance: int, needed: int) -> None:
        self.order_id = order_id
        self.balance = balance
        self.needed = needed
        super().__init__(
            f"order {order_id}: refund refused, the fan has {balance} credits left of the "
            f"{needed} to take back"
        )

"""SQLAlchemy models. Importing this package registers every table on `Base.metadata`."""

from stario.models.artists import Artist, ArtistPhoto, ArtistRestriction, PromptTemplate
from stario.models.base import Base, utcnow
from stario.models.broadcasts import (
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    RecipientStatus,
)
from stario.models.enums import (
    ErrorClass,
    JobKind,
    JobStatus,
    OrderStatus,
    PaymentProvider,
    PostingKind,
    Product,
    Role,
    VerificationStatus,
)
from stario.models.faces import ArtistFaceEmbedding
from stario.models.jobs import FaceQuizResult, GenerationJob
from stario.models.money import CreditLedger, CreditPackage, Order, Payment
from stario.models.users import AuditLog, User

__all__ = [
    "Artist",
    "ArtistFaceEmbedding",
    "ArtistPhoto",
    "ArtistRestriction",
    "AuditLog",
    "Base",
    "Broadcast",
    "BroadcastRecipient",
    "BroadcastStatus",
    "CreditLedger",
    "CreditPackage",
    "ErrorClass",
    "FaceQuizResult",
    "GenerationJob",
    "JobKind",
    "JobStatus",
    "Order",
    "OrderStatus",
    "Payment",
    "PaymentProvider",
    "PostingKind",
    "Product",
    "PromptTemplate",
    "RecipientStatus",
    "Role",
    "User",
    "VerificationStatus",
    "utcnow",
]

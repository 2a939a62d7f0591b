"""Member (formerly Citizen): a user's membership, with eligibility attributes set by codexes."""
from ggg._base import Entity, OneToOne, String, TimestampedMixin


class Member(Entity, TimestampedMixin):
    __alias__ = "id"
    id = String()
    user = OneToOne("User", "member")
    # Annotation-only attributes (set as plain attributes by codexes).
    residence_permit: str
    tax_compliance: str
    identity_verification: str
    voting_eligibility: str
    public_benefits_eligibility: str
    criminal_record: str


Citizen = Member

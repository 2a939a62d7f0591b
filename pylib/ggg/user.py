"""User: a principal that joined the realm."""
from ggg._base import Entity, ManyToMany, OneToMany, OneToOne, String, TimestampedMixin, get_logger

logger = get_logger("entity.user")


class User(Entity, TimestampedMixin):
    __alias__ = "id"
    id = String()
    profile_picture_url = String(max_length=512)
    profiles = ManyToMany(["UserProfile"], "users")
    human = OneToOne("Human", "user")
    member = OneToOne("Member", "user")
    proposals = OneToMany("Proposal", "proposer")
    votes = OneToMany("Vote", "voter")
    notifications = OneToMany("Notification", "user")
    services = OneToMany("Service", "user")
    tax_records = OneToMany("TaxRecord", "user")
    disputes_requested = OneToMany("Dispute", "requester")
    disputes_defendant = OneToMany("Dispute", "defendant")
    payment_accounts = OneToMany("PaymentAccount", "user")
    invoices = OneToMany("Invoice", "user")

    @staticmethod
    def user_register_posthook(user):
        """Called after a user joins; a codex may replace it."""
        return None


def user_register(principal, profile):
    """Creates (or returns) the user of `principal` with the profile named `profile`."""
    from ggg.user_profile import UserProfile

    user = User[principal]
    if user is None:
        user = User(id=principal)
    prof = UserProfile[profile]
    if prof is not None and prof not in list(user.profiles):
        user.profiles.add(prof)
    return user

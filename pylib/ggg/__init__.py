"""ggg: the realms entity catalogue (late November 2025), as codexes import it."""
from ggg.balance import Balance
from ggg.call import Call
from ggg.codex import Codex
from ggg.human import Human
from ggg.identity import Identity
from ggg.instrument import Instrument
from ggg.invoice import Invoice
from ggg.member import Citizen, Member
from ggg.misc import Contract, Dispute, Land, LandType, License, Mandate, Permission, Registry, Service, Trade
from ggg.notification import Notification
from ggg.organization import Organization
from ggg.payment_account import PaymentAccount
from ggg.proposal import Proposal
from ggg.realm import Realm
from ggg.status import TaskStatus
from ggg.task import Task
from ggg.task_executions import TaskExecution
from ggg.task_schedule import TaskSchedule
from ggg.task_step import TaskStep
from ggg.transfer import Transfer
from ggg.treasury import Treasury
from ggg.user import User
from ggg.user_profile import Operations, Profiles, UserProfile
from ggg.vote import Vote

__all__ = [
    "Balance", "Codex", "Contract", "Dispute", "Human", "Identity", "Instrument", "Invoice", "Land", "LandType",
    "License", "Mandate", "Member", "Notification", "Organization", "PaymentAccount", "Permission", "Proposal",
    "Realm", "Registry", "Service", "Task", "TaskSchedule", "Trade", "Transfer", "Treasury", "User",
    "UserProfile", "Profiles", "Operations", "Vote",
]

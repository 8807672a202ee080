"""How the audit log reads the SPIKON actions."""

from django.utils.translation import gettext_lazy as _

from accounts.audit import Sentence, register

register(
    {
        "spikon.account.update": Sentence(
            _("Changed the SPIKON account."), _("Could not change the SPIKON account.")
        ),
        "spikon.call.initiate": Sentence(
            _("Started the call %(object)s."), _("Could not start the call %(object)s.")
        ),
        "spikon.history.order": Sentence(
            _("Ordered the call history %(object)s."), _("Could not order the call history %(object)s.")
        ),
        "spikon.phonebook.add": Sentence(
            _("Added the phonebook %(object)s."), _("Could not add the phonebook %(object)s.")
        ),
        "spikon.phonebook.delete": Sentence(
            _("Deleted the phonebook %(object)s."),
            _("Could not delete the phonebook %(object)s."),
            removes=True,
        ),
        "spikon.phonebook.import": Sentence(
            _("Imported entries into the phonebook %(object)s."),
            _("The import into the phonebook %(object)s stopped."),
        ),
        "spikon.phonebook_entry.add": Sentence(
            _("Added %(object)s to the phonebook %(phonebook_after)s."),
            _("Could not add %(object)s to a phonebook."),
        ),
        "spikon.phonebook_entry.delete": Sentence(
            _("Deleted %(object)s from the phonebook %(phonebook_before)s."),
            _("Could not delete %(object)s from a phonebook."),
            removes=True,
        ),
        "spikon.sms.send": Sentence(_("Sent the SMS %(object)s."), _("Could not send the SMS %(object)s.")),
        "spikon.tts.generate": Sentence(
            _("Ordered the announcement %(object)s."), _("Could not order the announcement %(object)s.")
        ),
        "spikon.tts.delete": Sentence(
            _("Deleted the announcement %(object)s."),
            _("Could not delete the announcement %(object)s."),
            removes=True,
        ),
        "spikon.agent.incoming.add": Sentence(
            _("Added an agent to an inbound campaign: %(object)s."),
            _("Could not add an agent to an inbound campaign: %(object)s."),
        ),
        "spikon.agent.incoming.remove": Sentence(
            _("Removed an agent from an inbound campaign: %(object)s."),
            _("Could not remove an agent from an inbound campaign: %(object)s."),
        ),
        "spikon.agent.outgoing.add": Sentence(
            _("Added an agent to an outbound campaign: %(object)s."),
            _("Could not add an agent to an outbound campaign: %(object)s."),
        ),
        "spikon.agent.outgoing.remove": Sentence(
            _("Removed an agent from an outbound campaign: %(object)s."),
            _("Could not remove an agent from an outbound campaign: %(object)s."),
        ),
        "spikon.agent.default_outgoing": Sentence(
            _("Set the default outbound campaign of %(object)s to %(default_outbound_campaign_after)s."),
            _("Could not set the default outbound campaign of %(object)s."),
        ),
    },
    areas={"spikon": "SPIKON"},
    fields={
        "api_key": _("API key"),
        "base_url": _("API address"),
        "destination": _("number called"),
        "direction": _("direction"),
        "range": _("period"),
        "recordings only": _("only calls with recordings"),
        "number": _("number"),
        "name": _("name"),
        "entries": _("entries"),
        "phonebook": _("phonebook"),
        "recipients": _("recipients"),
        "sender": _("sender"),
        "voice": _("voice"),
        "characters": _("characters"),
        "price gross": _("gross price"),
        "inbound campaigns": _("inbound campaigns"),
        "outbound campaigns": _("outbound campaigns"),
        "default outbound campaign": _("default outbound campaign"),
    },
    money_fields=("price gross",),
    links={
        "spikon.phonebook": ("spikon:phonebook", "book_id"),
        "spikon.callhistoryreport": ("spikon:history-report", "report_id"),
        "spikon.ttsannouncement": ("spikon:tts-announcement", "announcement_id"),
    },
)

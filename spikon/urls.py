from django.urls import path

from spikon.services import INCOMING, OUTGOING
from spikon.views import account, callcenter, calls, history, overview, phonebooks, recordings, sms, tts

app_name = "spikon"
urlpatterns = [
    # Overview, account, click-to-call, phonebooks, SMS
    path("", overview.index, name="index"),
    path("account/", account.account, name="account"),
    path("account/test/", account.account_test, name="account-test"),
    path("call/", calls.click_to_call, name="click-to-call"),
    path("phonebooks/", phonebooks.phonebooks, name="phonebooks"),
    path("phonebooks/add/", phonebooks.phonebook_add, name="phonebook-add"),
    path("phonebooks/<int:book_id>/", phonebooks.phonebook, name="phonebook"),
    path("phonebooks/<int:book_id>/delete/", phonebooks.phonebook_delete, name="phonebook-delete"),
    path("phonebooks/<int:book_id>/entries/add/", phonebooks.entry_add, name="entry-add"),
    path(
        "phonebooks/<int:book_id>/entries/<int:entry_id>/delete/",
        phonebooks.entry_delete,
        name="entry-delete",
    ),
    path("phonebooks/<int:book_id>/export.csv", phonebooks.phonebook_export, name="phonebook-export"),
    path("phonebooks/<int:book_id>/import/", phonebooks.phonebook_import, name="phonebook-import"),
    path(
        "phonebooks/imports/<int:import_id>/",
        phonebooks.phonebook_import_detail,
        name="phonebook-import-detail",
    ),
    path(
        "phonebooks/imports/<int:import_id>/start/",
        phonebooks.phonebook_import_start,
        name="phonebook-import-start",
    ),
    path(
        "phonebooks/imports/<int:import_id>/cancel/",
        phonebooks.phonebook_import_cancel,
        name="phonebook-import-cancel",
    ),
    path("sms/", sms.sms_log, name="sms-log"),
    path("sms/send/", sms.sms_send, name="sms-send"),
    path("sms/send/picker/", sms.sms_picker, name="sms-picker"),
    # Call history and recordings, announcements, call center
    path("history/", history.calls, name="history"),
    path("history/export.csv", history.export_calls, name="history-export"),
    path("history/reports/", history.reports, name="history-reports"),
    path("history/reports/order/", history.order_report, name="history-report-order"),
    path("history/reports/<int:report_id>/", history.report, name="history-report"),
    path(
        "history/reports/<int:report_id>/fetch-again/", history.fetch_again, name="history-report-fetch-again"
    ),
    path("history/calls/<uuid:call_id>/", recordings.call, name="history-call"),
    path("history/calls/<uuid:call_id>/recording/", recordings.recording, name="history-recording"),
    path("tts/", tts.announcements, name="tts"),
    path("tts/new/", tts.new_announcement, name="tts-new"),
    path("tts/new/voices/", tts.voices, name="tts-voices"),
    path("tts/new/price/", tts.price, name="tts-price"),
    path("tts/new/generate/", tts.generate, name="tts-generate"),
    path("tts/<int:announcement_id>/", tts.announcement, name="tts-announcement"),
    path("tts/<int:announcement_id>/audio/<str:audio_format>/", tts.audio, name="tts-audio"),
    path("tts/<int:announcement_id>/delete/", tts.delete, name="tts-delete"),
    path("callcenter/", callcenter.agents, name="callcenter"),
    path(
        "callcenter/agents/<int:agent_id>/inbound/<int:campaign_id>/",
        callcenter.membership,
        {"direction": INCOMING},
        name="callcenter-inbound",
    ),
    path(
        "callcenter/agents/<int:agent_id>/outbound/<int:campaign_id>/",
        callcenter.membership,
        {"direction": OUTGOING},
        name="callcenter-outbound",
    ),
    path(
        "callcenter/agents/<int:agent_id>/default-outbound/",
        callcenter.default_outgoing,
        name="callcenter-default-outbound",
    ),
    path("callcenter/campaigns/<int:campaign_id>/monitor/", callcenter.monitor, name="callcenter-monitor"),
    path(
        "callcenter/campaigns/<int:campaign_id>/wallboard/", callcenter.wallboard, name="callcenter-wallboard"
    ),
]

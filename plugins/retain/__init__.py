"""dyncrm_retain: why members stay.

Plugins of the Retain phase (Park & Kim's relationship maintenance):

- ``retain.feedback`` (:mod:`dyncrm_retain.feedback`): complaints and suggestions
  (kritik dan saran) as tickets with a workflow, service levels and a report.
- ``retain.faq`` (:mod:`dyncrm_retain.faq`): questions and answers members can search.
- ``retain.reminders`` (:mod:`dyncrm_retain.reminders`): the reminder engine that turns
  due items from any plugin into messages, each (item, offset) exactly once.
- ``retain.http_gateway`` (:mod:`dyncrm_retain.http_gateway`): an example delivery
  channel posting messages to a WhatsApp/SMS gateway over HTTP.
"""

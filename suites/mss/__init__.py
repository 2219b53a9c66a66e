"""MSSanté: what the system under test sends through its MSSanté operator.

The operator is the MSSanté simulator (``homolog.counterparts.mss``), started before the
SUT and declared in the target (``settings.mss.simulator.control_url``). A check asks the
SUT to send a document the way a user would (``settings.mss.trigger``: the HTTP call
behind the "send" action), then judges what reached the simulator:

- ``transport``: TLS on the submission (STARTTLS or implicit TLS, TLS 1.2 or later);
- ``authentication``: the organisation certificate presented (mutual TLS);
- ``addresses``: sender and recipients in the MSSanté trust space;
- ``xdm_archive``: the ``IHE_XDM.ZIP`` and its layout; ``document``: the CDA it carries,
  validated by the documents suite; ``patient_ins``: the INS in the XDM metadata;
- ``headers``: ``X-MSS-INS``, ``X-MSS-CODECDA``, ``X-MSS-NIL``.

One exchange (trigger + messages received) is shared by the checks of a process.
"""

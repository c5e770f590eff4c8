"""Anxin's rules engine: routing, SLA business time and approvals, driven by YAML definitions.

Pure Python, no Django (DESIGN.md §3, CONVENTIONS.md §9). The entry points:

- ``workflows.loader.load_definitions`` / ``load_default_definitions`` -> ``DefinitionSet``
- ``workflows.routing.route``, ``accept_grab``, ``expire_grab``
- ``workflows.calendar.BusinessCalendar`` (``definitions.calendar(code)``): ``add``, ``between``, ``is_open``
- ``workflows.sla.compute_schedule``
- ``workflows.approvals.start_approval``, ``apply_event``

The administrator's guide to the definition files is docs/workflows.md.
"""

"""The complaint letters of a complaint bundle: `plan` sorts the record's facts into those a
letter may state (confirmed) and those it must not (uncertain: shown on the page instead);
`generic`, `regulator` (12378, 12315), `heimao` and `cfpb` write one kind of letter each from
the facts a person picked; `words` holds what they share. Imports the record, promises and
conduct capabilities; never the web, never `logger.bundles.build`."""

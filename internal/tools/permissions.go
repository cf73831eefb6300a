package tools

// everyPermission is every permission a caller may hold: the whole
// catalog, as docs/tools.md lists it.
var everyPermission = []Permission{Read, Triage, Seer, Docs, ProjectManagement}

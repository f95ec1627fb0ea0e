"""The interviewer agent: session state machine, SQLite store, message classification,
clarifications from hidden facts, the interview policy, phrasing, leak guard and the report.

Entry point: :class:`interviewer.session.service.InterviewService` (import it from there; this
package import stays cheap).
"""

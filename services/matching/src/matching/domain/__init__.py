"""Matching's domain: plain Python and numpy, no I/O.

Entry points for the service:
- `optimizer.solve_cohort(CohortProblem) -> CohortSolution`: one match run for a whole
  cohort, any program kind; pure and picklable, meant for a ProcessPoolExecutor worker.
- `suggestions.suggest_mentors(...)`: a ranked, explained shortlist for one mentee.
- `rules.why_not(...)`: the hard rules a given pair breaks, in words.

Modules: `model` (the dataclasses), `rules` (hard constraints), `similarity` (TF-IDF and set
overlap), `scoring` (criteria and score), `reasons` (sentences), `compatibility` (integer
weights and masks by block), `flow` (certified sparse min-cost flow), `optimizer`, `peer`,
`groups`, `suggestions`, `baselines` (greedy and dense references for tests and bench).
"""

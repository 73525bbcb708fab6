/**
 * Reply codes of the Lua scripts in ./lua. Every script replies with an array
 * whose first element is one of these codes; the numbers are written literally in
 * the scripts (`local OK, FENCED, ... = 0, 1, ...`), so they never change meaning.
 * `scriptError` (errors.ts) maps a non-OK code to a typed error.
 */
export enum ScriptCode {
  OK = 0,
  /** The caller's epoch is not the partition's current epoch: nothing was written. */
  FENCED = 1,
  /** commit before any claim: the partition has no epoch. */
  NOT_CLAIMED = 2,
  /** The argument list does not parse (counts, numbers): nothing was written. */
  BAD_ARGUMENTS = 3,
  /** A partition key exists with the wrong Redis type: nothing was written. */
  WRONG_TYPE = 4,
}

/**
 * What an OK reply of the commit script says happened (its second element).
 * Every outcome but APPLIED wrote nothing.
 */
export enum CommitOutcome {
  /** The batch's offsets are all stored already: a retry after a lost reply. */
  ALREADY_COMMITTED = 0,
  APPLIED = 1,
  /** Part of the batch is stored already; applying it would count records twice. */
  OVERLAP = 2,
  /** The re-score list is no longer at the chunk the batch carries. */
  RESCORE_MOVED = 3,
}

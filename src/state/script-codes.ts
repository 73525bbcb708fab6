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

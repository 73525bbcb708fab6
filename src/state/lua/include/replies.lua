-- Reply codes (src/state/script-codes.ts: ScriptCode) and the commit script's
-- outcomes (CommitOutcome). test/state/scripts.test.ts holds these numbers to the
-- TypeScript enums, so a script and its caller never read a number differently.
local OK, FENCED, NOT_CLAIMED, BAD_ARGUMENTS, WRONG_TYPE = 0, 1, 2, 3, 4
local ALREADY_COMMITTED, APPLIED, OVERLAP, RESCORE_MOVED = 0, 1, 2, 3

local function bad(reason)
  return {BAD_ARGUMENTS, reason}
end

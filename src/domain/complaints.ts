/**
 * Complaint facts several rules share (churn, schedule, reports): which cases
 * count at a day, and whether a customer had open or recent complaints when it
 * left. A case counts from the day it was filed for `complaintWindowDays`.
 */
import type { ChurnRules } from './parameters.js';
import type { CustomerState } from './state.js';

export interface ComplaintCounts {
  /** Complaints filed within the window ending at the day. */
  readonly recent: number;
  /** Those of them still open. */
  readonly open: number;
}

export function complaintsAt(s: CustomerState, day: number, rules: ChurnRules): ComplaintCounts {
  let recent = 0;
  let open = 0;
  for (const c of s.complaintCases) {
    if (c.day > day || day - c.day >= rules.complaintWindowDays) continue;
    recent++;
    if (c.open) open++;
  }
  return { recent, open };
}

/** Open complaints among the cases kept, whatever their age. */
export function openComplaints(s: CustomerState): number {
  let open = 0;
  for (const c of s.complaintCases) if (c.open) open++;
  return open;
}

/** The documented rule: enough open complaints, or enough complaints at all, within the window. */
export function complaintsRaiseChurn(s: CustomerState, day: number, rules: ChurnRules): boolean {
  if (s.complaintCases.length === 0) return false;
  const { recent, open } = complaintsAt(s, day, rules);
  return (rules.openComplaintCount > 0 && open >= rules.openComplaintCount) ||
    (rules.repeatedComplaintCount > 0 && recent >= rules.repeatedComplaintCount);
}

/**
 * The lost-customer analysis's "preventable" mark: at its cancellation, the
 * customer had a complaint still open or one filed within the window before it.
 */
export function hadComplaintsWhenLeaving(s: CustomerState, cancelDay: number, rules: ChurnRules): boolean {
  for (const c of s.complaintCases) {
    if (c.day > cancelDay) continue;
    if (c.open || cancelDay - c.day < rules.complaintWindowDays) return true;
  }
  return false;
}

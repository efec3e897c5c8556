/** Stable codes of the operator dashboard (cloud/dashboard). */

/** A dashboard file (or uPlot) cannot be read at start: an incomplete install. */
export const DASHBOARD_UNREADABLE = 'ATALAYA_RELAY_DASHBOARD_UNREADABLE';

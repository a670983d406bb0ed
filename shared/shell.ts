/** The shell channels of the contract (filled in by the shell feature). */
export const shellRequests = {} as const;
export const shellEvents = {} as const;

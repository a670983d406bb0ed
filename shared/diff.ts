/** The diff channels of the contract (filled in by the diff feature). */
export const diffRequests = {} as const;
export const diffEvents = {} as const;

/** The sample-project channels of the contract. */
export const sampleRequests = {} as const;

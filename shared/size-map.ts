/** The size-map channels of the contract. */
export const sizeMapRequests = {} as const;

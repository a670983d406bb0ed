import type { sampleRequests } from '../../../shared/sample';
import { LabError } from '../../../shared/errors';
import type { RequestHandlersOf } from '../rpc/types';

export const sampleRequestHandlers: RequestHandlersOf<typeof sampleRequests> = {
  'sample.info': async () => {
    throw new LabError('NOT_READY', 'The sample project is not available yet', 'wait for the sample feature');
  },
  'sample.create': async () => {
    throw new LabError('NOT_READY', 'The sample project is not available yet', 'wait for the sample feature');
  },
};

// The grader, graded (exp6, operating a live HAProxy), part 1: the start state fails every check, the
// reference solution passes every check, and the first broken runbooks and configs are caught by the
// checks that should catch them. Part 2, on a lab of its own so two workers share the drills:
// check-exp6-drills.test.ts. The cases live in exp6-cases.ts.
import { describeContractLite } from '../helpers/contract-lite.js';
import { MUTATIONS } from './exp6-cases.js';

describeContractLite({
  exp: 'exp6',
  tag: 'chk6',
  waitFor: 'http://go-backend.liujun.com/api/x',
  settleMs: 1500,
  mutations: MUTATIONS.slice(0, 8),
  variants: [],
});

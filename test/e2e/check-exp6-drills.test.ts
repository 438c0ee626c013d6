// The grader, graded (exp6), part 2 (part 1: check-exp6.test.ts): the remaining broken runbooks and
// configs are caught, a runbook written differently passes, and the drill leaves no runtime state behind
// (a second grading agrees; a restore that does nothing is undone by lab). Starts from the reference
// solution on a lab of its own.
import { describeContractLite } from '../helpers/contract-lite.js';
import { MUTATIONS, VARIANTS, more } from './exp6-cases.js';

describeContractLite({
  exp: 'exp6',
  tag: 'chk6b',
  waitFor: 'http://go-backend.liujun.com/api/x',
  settleMs: 1500,
  contract: false,
  mutations: MUTATIONS.slice(8),
  variants: VARIANTS,
  more,
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@selfsup/torch';
import { LatentPredictHead } from '../../../src/models/heads/latent-predict-head.js';
import { CosineSimilarityLoss } from '../../../src/models/losses/cosine-similarity.js';
import { HEADS } from '../../../src/models/registries.js';
import { assertClose, pseudo } from '../../helpers.js';
import '../../../src/builtins.js';

test('LatentPredictHead: loss(predictor(input), target) with a stop-gradient on the target; MMSelfSup keys', () => {
  torch.manualSeed(4);
  const head = HEADS.build(
    {
      type: 'LatentPredictHead',
      predictor: {
        type: 'NonLinearNeck',
        inChannels: 5,
        hidChannels: 7,
        outChannels: 5,
        withAvgPool: false,
        normCfg: { type: 'BN1d' },
      },
    },
    'head',
  );
  assert.ok(head instanceof LatentPredictHead);
  assert.ok(head.loss instanceof CosineSimilarityLoss, 'CosineSimilarityLoss by default');
  assert.deepEqual(
    Object.keys(head.stateDict()).filter((k) => k.endsWith('weight')),
    ['predictor.fc0.weight', 'predictor.bn0.weight', 'predictor.fc1.weight', 'predictor.bn1.weight'],
  );
  torch.tidy(() => {
    const input = torch.tensor(pseudo([4, 5], 1)).requiresGrad_(true);
    const target = torch.tensor(pseudo([4, 5], 2)).requiresGrad_(true);
    const loss = head.forward(input, target);
    loss.backward();
    assert.equal(target.grad, null, 'no gradient reaches the target branch');
    assert.ok(input.grad && (input.grad as torch.Tensor).abs().sum().item() > 0, 'the online branch is trained');
    // The same value by hand: −mean cos(predictor(input), target) (BN statistics of the same batch).
    const [pred] = torch.noGrad(() => head.predictor.forward([input]));
    const cos = pred
      .mul(target)
      .sum(1)
      .div(pred.norm(2, 1).mul(target.norm(2, 1)));
    assertClose(loss.item(), cos.mean().neg().item(), 1e-6, 'loss');
  });
});

/** The DINO model (Caron et al. 2021) on a ResNet-50: a 65536-d head, 2 + 10 crops, teacher temperature 0.04 → 0.07 over 30 epochs. */
import { defineConfig, dinoModel, resnet50 } from 'selfsup/config';

const dino = dinoModel({
  inChannels: 2048,
  hiddenChannels: 2048,
  bottleneckChannels: 256,
  outChannels: 65536,
  numCrops: 12,
  teacherTemp: 0.07,
  warmupTeacherTempEpochs: 30,
});
export default defineConfig({ model: { ...dino, backbone: resnet50() } });

// Layer shapes from the papers (and the torchvision / darknet definitions
// that follow them): He et al. 2016 (ResNet), Sandler et al. 2018
// (MobileNetV2), Szegedy et al. 2015 (GoogLeNet, with batch norm instead of
// LRN as torchvision does), Simonyan & Zisserman 2015 (VGG-16), Huang et al.
// 2017 (DenseNet-121), Redmon & Farhadi 2017 (tiny YOLOv2, VOC).
#include "architectures.h"

namespace onnxcut::models {
namespace {

std::string head(GraphBuilder& b, const std::string& x, int64_t c) {
  return b.softmax(b.fc(b.flatten(b.gap(x)), c, 1000));
}

void resnet(GraphBuilder& b, const std::vector<int>& blocks, bool bottleneck) {
  std::string x = b.input("image", {1, 3, 224, 224});
  x = b.maxpool(b.conv(x, 3, 64, 7, 2, 3), 3, 2, 1);
  int64_t cin = 64;
  const int64_t widths[] = {64, 128, 256, 512};
  for (int s = 0; s < 4; ++s) {
    for (int i = 0; i < blocks[s]; ++i) {
      const int64_t stride = (s > 0 && i == 0) ? 2 : 1, w = widths[s], cout = bottleneck ? 4 * w : w;
      std::string y;
      if (bottleneck) {
        y = b.conv(x, cin, w, 1);
        y = b.conv(y, w, w, 3, stride);
        y = b.conv(y, w, cout, 1, 1, 0, 1, true, "");
      } else {
        y = b.conv(x, cin, w, 3, stride);
        y = b.conv(y, w, w, 3, 1, 1, 1, true, "");
      }
      const std::string skip = (stride != 1 || cin != cout) ? b.conv(x, cin, cout, 1, stride, 0, 1, true, "") : x;
      x = b.act(b.add(y, skip), "relu");
      cin = cout;
    }
  }
  b.output(head(b, x, cin));
}

void mobilenetv2(GraphBuilder& b) {
  std::string x = b.conv(b.input("image", {1, 3, 224, 224}), 3, 32, 3, 2, 1, 1, true, "relu6");
  int64_t cin = 32;
  const int cfg[][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                        {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};  // t, c, n, s
  for (const auto& c : cfg)
    for (int i = 0; i < c[2]; ++i) {
      const int64_t stride = i == 0 ? c[3] : 1, hidden = cin * c[0], cout = c[1];
      std::string y = x;
      if (c[0] != 1) y = b.conv(y, cin, hidden, 1, 1, 0, 1, true, "relu6");
      y = b.conv(y, hidden, hidden, 3, stride, 1, hidden, true, "relu6");
      y = b.conv(y, hidden, cout, 1, 1, 0, 1, true, "");
      x = (stride == 1 && cin == cout) ? b.add(x, y) : y;
      cin = cout;
    }
  x = b.conv(x, cin, 1280, 1, 1, 0, 1, true, "relu6");
  b.output(head(b, x, 1280));
}

std::string inception(GraphBuilder& b, const std::string& x, int64_t cin, int64_t c1, int64_t r3, int64_t c3,
                      int64_t r5, int64_t c5, int64_t pp) {
  const std::string a = b.conv(x, cin, c1, 1);
  const std::string bb = b.conv(b.conv(x, cin, r3, 1), r3, c3, 3);
  const std::string c = b.conv(b.conv(x, cin, r5, 1), r5, c5, 3);  // torchvision: 3x3 in the "5x5" branch
  const std::string d = b.conv(b.maxpool(x, 3, 1, 1), cin, pp, 1);
  return b.concat({a, bb, c, d});
}

void googlenet(GraphBuilder& b) {
  std::string x = b.maxpool(b.conv(b.input("image", {1, 3, 224, 224}), 3, 64, 7, 2, 3), 3, 2, 1);
  x = b.maxpool(b.conv(b.conv(x, 64, 64, 1), 64, 192, 3), 3, 2, 1);
  x = inception(b, x, 192, 64, 96, 128, 16, 32, 32);
  x = inception(b, x, 256, 128, 128, 192, 32, 96, 64);
  x = b.maxpool(x, 3, 2, 1);
  x = inception(b, x, 480, 192, 96, 208, 16, 48, 64);
  x = inception(b, x, 512, 160, 112, 224, 24, 64, 64);
  x = inception(b, x, 512, 128, 128, 256, 24, 64, 64);
  x = inception(b, x, 512, 112, 144, 288, 32, 64, 64);
  x = inception(b, x, 528, 256, 160, 320, 32, 128, 128);
  x = b.maxpool(x, 3, 2, 1);
  x = inception(b, x, 832, 256, 160, 320, 32, 128, 128);
  x = inception(b, x, 832, 384, 192, 384, 48, 128, 128);
  b.output(head(b, x, 1024));
}

void vgg16(GraphBuilder& b) {
  std::string x = b.input("image", {1, 3, 224, 224});
  int64_t cin = 3;
  for (int64_t c : {64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512, -1}) {
    if (c < 0) { x = b.maxpool(x, 2, 2); continue; }
    x = b.conv(x, cin, c, 3, 1, 1, 1, false, "relu", true);
    cin = c;
  }
  x = b.flatten(x);
  x = b.act(b.fc(x, 512 * 7 * 7, 4096), "relu");
  x = b.act(b.fc(x, 4096, 4096), "relu");
  b.output(b.softmax(b.fc(x, 4096, 1000)));
}

void densenet121(GraphBuilder& b) {
  std::string x = b.maxpool(b.conv(b.input("image", {1, 3, 224, 224}), 3, 64, 7, 2, 3), 3, 2, 1);
  int64_t c = 64;
  const int blocks[] = {6, 12, 24, 16};
  const int64_t growth = 32, bn_size = 4;
  for (int s = 0; s < 4; ++s) {
    std::vector<std::string> features = {x};
    for (int i = 0; i < blocks[s]; ++i) {
      const std::string in = features.size() == 1 ? features[0] : b.concat(features);
      // pre-activation: BN-ReLU-Conv1x1-BN-ReLU-Conv3x3
      std::string y = b.act(b.bn(in, c + i * growth), "relu");
      y = b.conv(y, c + i * growth, bn_size * growth, 1, 1, 0, 1, true, "relu");
      y = b.conv(y, bn_size * growth, growth, 3, 1, 1, 1, false, "");
      features.push_back(y);
    }
    x = b.concat(features);
    c += blocks[s] * growth;
    if (s < 3) {  // transition: BN-ReLU-Conv1x1 (compression 0.5)-AvgPool
      x = b.act(b.bn(x, c), "relu");
      x = b.avgpool(b.conv(x, c, c / 2, 1, 1, 0, 1, false, ""), 2, 2);
      c /= 2;
    }
  }
  x = b.act(b.bn(x, c), "relu");
  b.output(head(b, x, c));
}

void tinyYolov2(GraphBuilder& b) {
  std::string x = b.input("image", {1, 3, 416, 416});
  int64_t cin = 3;
  for (int64_t c : {16, 32, 64, 128, 256}) {
    x = b.maxpool(b.conv(x, cin, c, 3, 1, 1, 1, true, "leaky"), 2, 2);
    cin = c;
  }
  x = b.conv(x, 256, 512, 3, 1, 1, 1, true, "leaky");
  // darknet's size-2 stride-1 max pool keeps 13x13 (pads right/bottom; here
  // pads 1 with kernel 3, the same output size).
  x = b.maxpool(x, 3, 1, 1);
  x = b.conv(x, 512, 1024, 3, 1, 1, 1, true, "leaky");
  x = b.conv(x, 1024, 1024, 3, 1, 1, 1, true, "leaky");
  b.output(b.conv(x, 1024, 125, 1, 1, 0, 1, false, "", true));  // 5 anchors x (20 classes + 5)
}

}  // namespace

const std::vector<Architecture>& architectures() {
  static const std::vector<Architecture> all = {
      {"resnet18", "ResNet-18 (He et al. 2016), 224x224, ImageNet-1k", [](GraphBuilder& b) { resnet(b, {2, 2, 2, 2}, false); }},
      {"resnet50", "ResNet-50 (He et al. 2016), 224x224, ImageNet-1k", [](GraphBuilder& b) { resnet(b, {3, 4, 6, 3}, true); }},
      {"mobilenetv2", "MobileNetV2 1.0 (Sandler et al. 2018), 224x224, ImageNet-1k", mobilenetv2},
      {"googlenet", "GoogLeNet / Inception v1 (Szegedy et al. 2015; BN as torchvision), 224x224", googlenet},
      {"vgg16", "VGG-16 (Simonyan & Zisserman 2015), 224x224, ImageNet-1k", vgg16},
      {"densenet121", "DenseNet-121 (Huang et al. 2017), 224x224, ImageNet-1k", densenet121},
      {"tinyyolov2", "tiny YOLOv2 (Redmon & Farhadi 2017), 416x416, VOC (125 = 5 anchors x 25)", tinyYolov2},
  };
  return all;
}

}  // namespace onnxcut::models

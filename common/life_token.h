// LifeToken: lets asynchronous callbacks learn whether the object that started them still
// exists. The owner holds a LifeToken member; callbacks capture `token.watch()` and return early
// when `expired()`. It makes no object outlive anything; it only makes late callbacks harmless.
#pragma once

#include <memory>

namespace sg {

class LifeToken {
 public:
  using Watch = std::weak_ptr<const bool>;
  Watch watch() const { return alive_; }

 private:
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

}  // namespace sg

// SPDX-License-Identifier: GPL-2.0-or-later
// The SDK's ABI version. A plugin records the version it was compiled against in its
// descriptor; the loader accepts it when the major numbers are equal and the plugin's minor
// number is not newer than the daemon's (STYLE.md, practice 3).
#pragma once

/// Bumped when an SDK interface changes incompatibly (a vtable or a struct layout changes).
#define IKEMESH_SDK_ABI_MAJOR 1
/// Bumped when the SDK grows compatibly (a new derived interface, a new free function).
#define IKEMESH_SDK_ABI_MINOR 2

namespace ikemesh {

/// The ABI of the SDK headers this translation unit sees.
inline constexpr int kSdkAbiMajor = IKEMESH_SDK_ABI_MAJOR;
inline constexpr int kSdkAbiMinor = IKEMESH_SDK_ABI_MINOR;

}  // namespace ikemesh

// SPDX-License-Identifier: GPL-2.0-or-later
#include "NullAuthPlugin.hpp"

IKEMESH_PLUGIN_FACTORY(IKEMESH_PLUGIN_IDENT, ikemesh::authnull::NullAuthPlugin)

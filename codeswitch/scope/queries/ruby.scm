; Definitions and references for the workspace index (Ruby).
(method name: (_) @name) @definition.method
(singleton_method name: (_) @name) @definition.method
(class name: (constant) @name) @definition.class
(class name: (scope_resolution name: (constant) @name)) @definition.class
(module name: (constant) @name) @definition.module
(module name: (scope_resolution name: (constant) @name)) @definition.module

(call method: (identifier) @name) @reference.call
(call receiver: (constant) @name) @reference.class
(superclass (constant) @name) @reference.class

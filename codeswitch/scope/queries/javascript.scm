; Definitions and references for the workspace index (JavaScript, JSX).
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(class_declaration name: (identifier) @name) @definition.class
(method_definition name: (property_identifier) @name) @definition.method
(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @definition.function
(field_definition property: (property_identifier) @name value: [(arrow_function) (function_expression)]) @definition.method

(call_expression function: (identifier) @name) @reference.call
(call_expression function: (member_expression property: (property_identifier) @name)) @reference.call
(new_expression constructor: (identifier) @name) @reference.class
(class_heritage (identifier) @name) @reference.class
(import_specifier name: (identifier) @name) @reference.import
(export_specifier name: (identifier) @name) @reference.export
